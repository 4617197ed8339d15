import type { FastifyInstance } from 'fastify';
import { SkiffError } from '@skiff/bundle';
import type { DeviceAgent } from './agent';
import { parseConnection } from '../device/grants';
import { access } from './access';
import { anyObject, objectList, route } from './schema';

/** `onRefreshSettings`: told after a setting changed (the auto-refresh module plans its next check again). */
export function deviceRoutes(app: FastifyInstance, agent: DeviceAgent, onRefreshSettings: () => void): void {
  const { device } = agent;

  app.get<{ Querystring: { app?: string } }>('/v1/connections', {
    schema: route('listConnections', 'the plugs installed apps ask for and whether each is connected', { 200: { description: 'what `skiff connections --json` prints', ...objectList } },
      { querystring: { type: 'object', properties: { app: { type: 'string' } } } }),
  }, async (request) => device.listGrants(request.query.app));

  app.post<{ Body: { connection: string; connect: boolean } }>('/v1/connections', {
    schema: route('setConnection', 'connect or disconnect APP:PLUG (rewrites the app\'s wrappers)', { 200: { description: '{app, plug, granted}', ...anyObject } },
      { body: { type: 'object', additionalProperties: false, properties: { connection: { type: 'string' }, connect: { type: 'boolean' } }, required: ['connection', 'connect'] } }),
  }, async (request) => {
    access.rootOnly(request);
    const { name, plug } = parseConnection(request.body.connection);
    const granted = request.body.connect;
    await agent.withApp(name, async () => device.setGrant(name, plug, granted));
    return { app: name, plug, granted };
  });

  app.get<{ Params: { key: string } }>('/v1/config/:key', {
    schema: route('getConfig', 'a device setting', { 200: { description: '{key, value}', ...anyObject } },
      { params: { type: 'object', properties: { key: { type: 'string', minLength: 1 } }, required: ['key'] } }),
  }, async (request) => {
    access.rootOnly(request);
    const { key } = request.params;
    const value = device.state.configGet(key);
    if (value === undefined) throw new SkiffError('config-invalid', `config key "${key}" is not set`);
    return { key, value };
  });

  app.put<{ Params: { key: string }; Body: { value: string } }>('/v1/config/:key', {
    schema: route('setConfig', 'set a device setting; notes name data volumes that grow only at their next mount', { 200: { description: '{key, value, notes}', ...anyObject } },
      { params: { type: 'object', properties: { key: { type: 'string', minLength: 1 } }, required: ['key'] },
        body: { type: 'object', additionalProperties: false, properties: { value: { type: 'string' } }, required: ['value'] } }),
  }, async (request) => {
    access.rootOnly(request);
    const { key } = request.params;
    const notes = await agent.ops.configSet(key, request.body.value);
    onRefreshSettings();
    return { key, value: request.body.value, notes };
  });
}
