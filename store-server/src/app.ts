import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions, type FastifyError } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { StoreContext } from './context';
import { StoreError } from './errors';
import { accountService } from './services/accounts';
import { appService } from './services/apps';
import { uploadService } from './services/uploads';
import { releaseService } from './services/releases';
import { accountRoutes } from './routes/account';
import { appRoutes } from './routes/apps';
import { uploadRoutes } from './routes/uploads';
import { healthRoutes } from './routes/health';
import { repoRoutes } from './routes/repo';
import { ErrorReply } from './routes/schemas';
import type { StoreServices } from './types';
import './types';

export interface StoreAppOptions {
  context: StoreContext;
}

/** Codes for client errors raised by fastify or its plugins rather than by the store. */
const CODE_OF_STATUS: Record<number, string> = {
  401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed', 406: 'not-acceptable',
  413: 'too-large', 415: 'unsupported-media-type', 416: 'range-not-satisfiable', 429: 'too-many-requests',
};

const VERSION: string = require('../../package.json').version;

/** Builds the domain services over one open store. */
export function storeServices(context: StoreContext): StoreServices {
  const apps = appService(context);
  return {
    context,
    accounts: accountService(context),
    apps,
    uploads: uploadService(context, apps),
    releases: releaseService(context, apps),
  };
}

/** The whole store as a fastify plugin: services, error shape, OpenAPI, /v1 routes, /healthz and /repo. */
export const storeApp: FastifyPluginAsync<StoreAppOptions> = async (app, opts) => {
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Skiff store', version: VERSION, description: 'Publisher and browsing API of a Skiff store. Devices need only /repo/.' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.addSchema(ErrorReply);

  const services = storeServices(opts.context);
  app.decorate('store', services);
  app.decorateRequest('account', null as never);
  app.decorate('requireAccount', async function requireAccount(req) {
    req.account = services.accounts.authenticate(req.headers.authorization);
  });

  // Messages of client errors are shown; a server error says only that it happened (it is logged).
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof StoreError) {
      if (err.statusCode === 413) reply.header('connection', 'close');
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message } });
    }
    if (err.validation) return reply.code(400).send({ error: { code: 'bad-request', message: err.message } });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: { code: CODE_OF_STATUS[status] ?? 'bad-request', message: err.message } });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'internal-error', message: 'internal server error' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'not-found', message: `no route for ${req.method} ${req.url.split('?')[0]}` } });
  });

  await app.register(async (v1) => {
    await v1.register(accountRoutes);
    await v1.register(appRoutes);
    await v1.register(uploadRoutes);
    v1.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }, { prefix: '/v1' });
  await app.register(healthRoutes);
  await app.register(repoRoutes);
};
// Decorators and hooks apply to the instance the app is registered on (what fastify-plugin does).
(storeApp as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** A ready fastify instance over an open store (tests call `inject()` on it; server.ts listens). */
export async function buildApp(context: StoreContext, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...options }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(storeApp, { context });
  await app.ready();
  return app;
}
