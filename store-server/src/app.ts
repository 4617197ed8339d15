import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Server } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { StoreContext } from './context';
import { sendClientError, sendError } from './error-reply';
import { NotFoundError } from './errors';
import { accountService } from './services/accounts';
import { appService } from './services/apps';
import { uploadService } from './services/uploads';
import { releaseService } from './services/releases';
import { deltaService, type DeltaLog } from './deltas/service';
import { accountRoutes } from './routes/account';
import { appRoutes } from './routes/apps';
import { uploadRoutes } from './routes/uploads';
import { healthRoutes } from './routes/health';
import { repoRoutes } from './routes/repo';
import { webPages } from './web/pages';
import { SHARED_SCHEMAS } from './routes/schemas';
import type { StoreServices } from './types';
import './types';

export interface StoreAppOptions {
  context: StoreContext;
}

const VERSION: string = require('../../package.json').version;

/** Builds the domain services over one open store. */
export function storeServices(context: StoreContext, log: DeltaLog): StoreServices {
  const apps = appService(context);
  const deltas = deltaService(context, log);
  return {
    context,
    accounts: accountService(context),
    apps,
    uploads: uploadService(context, apps),
    releases: releaseService(context, apps, deltas),
    deltas,
  };
}

/** The whole store as a fastify plugin: services, error shape, OpenAPI, /v1 routes, /healthz, /repo and the pages. */
// fastify-plugin: decorators and hooks apply to the instance the app is registered on.
export const storeApp = fp<StoreAppOptions>(async (app, opts) => {
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Skiff store', version: VERSION, description: 'Publisher and browsing API of a Skiff store. Devices need only /repo/.' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
    },
    // Shared schemas appear under their own names; routes without tags (pages, /repo) are not part of the API.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    hideUntagged: true,
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  const services = storeServices(opts.context, app.log);
  app.decorate('store', services);
  // No delta worker outlives the app (tests and benchmarks close it without serve's shutdown).
  app.addHook('onClose', async () => services.deltas.stop());
  app.decorateRequest('account', null as never);
  app.decorate('requireAccount', async function requireAccount(req) {
    req.account = services.accounts.authenticate(req.headers.authorization);
  });

  app.setErrorHandler(sendError);
  app.setNotFoundHandler((req, reply) => sendError(new NotFoundError(`no route for ${req.method} ${req.url.split('?')[0]}`), req, reply));

  await app.register(async (v1) => {
    await v1.register(accountRoutes);
    await v1.register(appRoutes);
    await v1.register(uploadRoutes);
    v1.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }, { prefix: '/v1' });
  await app.register(healthRoutes);
  await app.register(repoRoutes);
  await app.register(webPages);
});

/** A ready fastify instance over an open store (tests call `inject()` on it; server.ts listens). */
export async function buildApp(context: StoreContext, options: FastifyHttpOptions<Server> = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: context.settings.maxJsonBodyBytes,
    frameworkErrors: sendError,
    clientErrorHandler: sendClientError,
    // X-Forwarded-Proto from this many proxies tells a request that came over TLS (its cookies are then Secure).
    trustProxy: context.settings.trustProxyHops > 0 ? (_address: string, hop: number) => hop < context.settings.trustProxyHops : false,
    ...options,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(storeApp, { context });
  await app.ready();
  return app;
}
