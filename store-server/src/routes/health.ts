import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UnavailableError } from '../errors';
import { errors } from './schemas';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    schema: {
      operationId: 'health', summary: 'Liveness, with the current TUF metadata versions; 503 while the timestamp it serves has expired', tags: ['meta'],
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          versions: Type.Object({ root: Type.Integer(), targets: Type.Integer(), snapshot: Type.Integer(), timestamp: Type.Integer() }),
        }, { description: 'Up, serving a timestamp still valid' }),
        ...errors(503),
      },
    },
  }, async () => {
    const { tuf } = app.store.context;
    // Devices refuse an expired timestamp: a store serving one is up but of no use to them.
    if (tuf.timestampExpires.getTime() <= Date.now()) {
      throw new UnavailableError(`the timestamp this store serves expired at ${tuf.timestampExpires.toISOString()}: the store has not re-signed it (its log says why)`, 'timestamp-expired');
    }
    return { status: 'ok' as const, versions: tuf.versions };
  });
};
