import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    schema: {
      summary: 'Liveness, with the current TUF metadata versions', tags: ['meta'],
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          versions: Type.Object({ root: Type.Integer(), targets: Type.Integer(), snapshot: Type.Integer(), timestamp: Type.Integer() }),
        }),
      },
    },
  }, async () => ({ status: 'ok' as const, versions: app.store.context.tuf.versions }));
};
