// skiffd's HTTP API (fastify): the routes, the OpenAPI document, and errors as {"error": {"code", "message"}}.
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import type { DeviceAgent } from './agent';
import { errorBody } from './agent';
import { access, recordPeers } from './access';
import { HTTP_STATUS } from './errors';
import type { AgentModule } from './module';
import { anyObject, route } from './schema';
import { appRoutes } from './routes-apps';
import { changeRoutes } from './routes-changes';
import { deviceRoutes } from './routes-device';
import { systemRoutes } from './routes-system';
import { autoRefreshIn } from './modules';

const VERSION: string = require('../../../package.json').version;

/** Bytes of a request body skiffd reads (requests are small JSON objects). */
export const MAX_BODY_BYTES = 64 * 1024;

export async function buildServer(agent: DeviceAgent, log: Logger, modules: AgentModule[]): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({ loggerInstance: log as FastifyInstance['log'], // One line per change ended, not two per request: a client following a change asks often.
    logController: new LogController({ disableRequestLogging: true }), bodyLimit: MAX_BODY_BYTES, forceCloseConnections: true });
  recordPeers(app.server);
  await app.register(swagger, { openapi: { info: { title: 'skiffd', version: VERSION, description: 'The Skiff device agent, on R/run/skiff/skiffd.sock' } } });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    let body = errorBody(err);
    let status = HTTP_STATUS[body.code] ?? 500;
    if (err.validation || (err.statusCode !== undefined && err.statusCode < 500 && !(body.code in HTTP_STATUS))) {
      body = { code: 'usage', message: `${request.method} ${request.url}: ${err.message}` };
      status = err.statusCode && err.statusCode < 500 ? err.statusCode : 400;
    }
    if (status >= 500) log.error({ err, url: request.url }, 'request failed');
    return reply.code(status).send({ error: body });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: 'not-found', message: `skiffd has no ${request.method} ${request.url}` } }));

  app.get('/v1/openapi.json', { schema: route('getOpenApi', 'this API, as an OpenAPI 3 document', { 200: { description: 'the OpenAPI document', ...anyObject } }) },
    async () => app.swagger());
  // A timer or hold set through the API takes effect at once, not at the module's next look.
  const replan = (): void => { autoRefreshIn(modules)?.replan(); };
  systemRoutes(app, agent);
  appRoutes(app, agent, replan);
  changeRoutes(app, agent);
  deviceRoutes(app, agent, replan);
  const ctx = agent.context();
  for (const m of modules) {
    const routes = m.routes?.bind(m);
    if (routes) await app.register(async (scope) => { routes(scope, ctx, access); }, { prefix: '/v1' });
  }
  await app.ready();
  return app;
}
