import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SkiffError } from '@skiff/bundle';
import type { DeviceAgent, Started } from './agent';
import type { DeviceOps } from '../device/ops';
import { NotSetUpError } from '../device/errors';
import { listApps, appInfo, storeInfo } from '../device/views';
import * as verbs from '../device/verbs';
import { access } from './access';
import { anyObject, changeStarted, nameParam, objectList, route } from './schema';
import { StoreClient } from '../publisher/api';

const resultAnswer = { description: 'nothing to change: {"result": ...} as `skiff --json` prints it', ...anyObject };

/** 202 {change} when the operation started a change, else 200 {result}. */
function answer(reply: FastifyReply, started: Started): FastifyReply {
  return 'change' in started ? reply.code(202).send(started) : reply.code(200).send(started);
}

/** `onRefreshSettings`: told after a hold changed (the auto-refresh module plans its next check again). */
export function appRoutes(app: FastifyInstance, agent: DeviceAgent, onRefreshSettings: () => void): void {
  const { device } = agent;
  const ops = (): DeviceOps => agent.ops;

  app.get<{ Querystring: { all?: boolean } }>('/v1/apps', {
    schema: route('listApps', 'installed apps (every retained revision with all=true)', { 200: { description: 'the rows `skiff list --json` prints', ...objectList } },
      { querystring: { type: 'object', properties: { all: { type: 'boolean' } } } }),
  }, async (request) => {
    const rows = listApps(device, request.query.all ?? false);
    // "No apps installed." would hide a wrong root: a root never set up says so.
    if (rows.length === 0 && device.state.configGet('store.url') === undefined) throw new NotSetUpError(device.root);
    return rows;
  });

  app.get<{ Params: { name: string } }>('/v1/apps/:name', {
    schema: route('getApp', 'one installed app: revisions, blocked revisions, plugs, data', { 200: { description: 'what `skiff info --json` prints', ...anyObject } }, { params: nameParam }),
  }, async (request) => appInfo(device, request.params.name));

  app.get<{ Params: { name: string } }>('/v1/store/apps/:name', {
    schema: route('getStoreApp', 'what the store offers for an app: its channel map for this device\'s architecture, verified through TUF', { 200: { description: 'what `skiff info --json` prints for an app not installed', ...anyObject } }, { params: nameParam }),
  }, async (request) => storeInfo(await ops().storeChannels(request.params.name), ops().architecture()));

  app.get<{ Querystring: { q: string } }>('/v1/find', {
    schema: route('findApps', 'search the store by name and summary', { 200: { description: '{"results": [{name, publisher, summary, version, revision}]}', ...anyObject } },
      { querystring: { type: 'object', properties: { q: { type: 'string', minLength: 1 } }, required: ['q'] } }),
  }, async (request) => {
    const store = device.state.configGet('store.url');
    if (!store) throw new NotSetUpError(device.root);
    return new StoreClient({ url: store }).search(request.query.q);
  });

  app.get<{ Querystring: { names?: string } }>('/v1/refresh', {
    schema: route('listUpdates', 'what refresh would do (names: comma-separated apps), nothing done', { 200: { description: 'what `skiff refresh --list --json` prints', ...objectList } },
      { querystring: { type: 'object', properties: { names: { type: 'string' } } } }),
  }, async (request) => ops().refreshList(request.query.names ? request.query.names.split(',') : []));

  app.post<{ Body: { name?: string; channel?: string; revision?: number; file?: string; devmode?: boolean } }>('/v1/apps', {
    schema: route('installApp', 'install an app from the store ({name, channel?, revision?}), or a local bundle as root sees it ({file, devmode?}, dangerous)',
      { 202: changeStarted }, { body: { type: 'object', additionalProperties: false, properties: {
        name: { type: 'string', minLength: 1 }, channel: { type: 'string' }, revision: { type: 'integer', minimum: 1 },
        file: { type: 'string', minLength: 1 }, devmode: { type: 'boolean' } } } }),
  }, async (request, reply) => {
    access.rootOnly(request);
    const b = request.body ?? {};
    if (b.file !== undefined) {
      // The app's name is in the bundle: read it first, to queue behind that app's changes.
      const file = resolve(b.file);
      const manifest = await ops().env.backend.inspectManifest(file);
      return answer(reply, await agent.start(manifest.name, (o) => verbs.installDangerous(o, file, { devmode: b.devmode ?? false })));
    }
    if (!b.name) throw new SkiffError('usage', 'install takes {"name": APP} (or {"file": BUNDLE} for a local bundle)');
    const name = b.name;
    return answer(reply, await agent.start(name, (o) => verbs.install(o, name, {
      ...(b.channel ? { channel: b.channel } : {}), ...(b.revision ? { revision: b.revision } : {}) })));
  });

  app.post<{ Body: { names?: string[]; channel?: string; revision?: number } }>('/v1/refresh', {
    schema: route('refreshApps', 'refresh the named apps (every app tracking a channel and not held when none): one change per app, side by side',
      { 202: { description: '{"started": [{name, change} or {name, result}]}: a change per app refreshed, the outcome of the others', ...anyObject } },
      { body: { type: 'object', additionalProperties: false, properties: {
        names: { type: 'array', items: { type: 'string' } }, channel: { type: 'string' }, revision: { type: 'integer', minimum: 1 } } } }),
  }, async (request, reply) => {
    access.rootOnly(request);
    const { names = [], channel, revision } = request.body ?? {};
    if (channel !== undefined && names.length !== 1) throw new SkiffError('usage', 'refresh with a channel takes exactly one app name');
    if (revision !== undefined && names.length !== 1) throw new SkiffError('usage', 'refresh --revision takes exactly one app name');
    // As in-process: a refresh of every app leaves the held ones alone (naming one refreshes it).
    const held = names.length ? [] : ops().heldFromRefresh();
    const scope = ops().refreshScope(names).filter((n) => !held.some((h) => h.name === n));
    const to = { ...(channel ? { channel } : {}), ...(revision ? { revision } : {}) };
    const started = await Promise.all(scope.map(async (name) => ({ name, ...await agent.start(name, (o) => o.refresh([name], to)) })));
    return reply.code(202).send({ started: [...held.map((h) => ({ name: h.name, result: [h] })), ...started] });
  });

  app.post<{ Body: { names?: string[]; hold?: string } }>('/v1/refresh/hold', {
    schema: route('holdRefresh', 'hold the named apps (every app when none) from automatic refresh: hold is "forever" (default) or a duration',
      { 200: { description: 'what `skiff refresh --hold --json` prints: {held, until}', ...anyObject } },
      { body: { type: 'object', additionalProperties: false, properties: { names: { type: 'array', items: { type: 'string' } }, hold: { type: 'string' } } } }),
  }, async (request) => {
    access.rootOnly(request);
    const { names = [], hold } = request.body ?? {};
    const r = await verbs.hold(ops(), hold ?? true, names);
    onRefreshSettings();
    return r;
  });

  app.post<{ Body: { names?: string[] } }>('/v1/refresh/unhold', {
    schema: route('unholdRefresh', 'lift the holds of the named apps (every hold when none)',
      { 200: { description: 'what `skiff refresh --unhold --json` prints: {unheld}', ...anyObject } },
      { body: { type: 'object', additionalProperties: false, properties: { names: { type: 'array', items: { type: 'string' } } } } }),
  }, async (request) => {
    access.rootOnly(request);
    const r = await verbs.unhold(ops(), request.body?.names ?? []);
    onRefreshSettings();
    return r;
  });

  const action = <B>(verb: string, summary: string, body: object, run: (o: DeviceOps, name: string, b: B) => Promise<unknown>, answers: Record<number, { description: string }>) =>
    app.post<{ Params: { name: string }; Body: B }>(`/v1/apps/:name/${verb}`, {
      schema: route(`${verb}App`, summary, answers, { params: nameParam, body: { type: 'object', additionalProperties: false, properties: body } }),
    }, async (request, reply) => {
      access.rootOnly(request);
      const { name } = request.params;
      return answer(reply, await agent.start(name, (o) => run(o, name, (request.body ?? {}) as B)));
    });

  action<{ channel?: string }>('refresh', 'refresh one app to its channel\'s revision (or switch it to channel)', { channel: { type: 'string' } },
    (o, name, b) => o.refresh([name], b.channel ? { channel: b.channel } : {}), { 202: changeStarted, 200: resultAnswer });
  action<{ revision?: number }>('revert', 'go back to a retained revision; the current one is blocked from refresh', { revision: { type: 'integer', minimum: 1 } },
    (o, name, b) => verbs.revert(o, name, b.revision), { 202: changeStarted });
  action<{ purge?: boolean }>('remove', 'remove an app; its data is kept unless purge', { purge: { type: 'boolean' } },
    (o, name, b) => verbs.remove(o, name, b.purge ?? false), { 202: changeStarted });
  action<{ revision?: number }>('unblock', 'let refresh offer blocked revisions again', { revision: { type: 'integer', minimum: 1 } },
    (o, name, b) => verbs.unblock(o, name, b.revision), { 200: resultAnswer });
}
