import type { FastifyInstance } from 'fastify';
import type { DeviceAgent } from './agent';
import { changeList } from '../device/views';
import { access } from './access';
import { MAX_WAIT_SECONDS } from './feed';
import { anyObject, idParam, objectList, route } from './schema';

export function changeRoutes(app: FastifyInstance, agent: DeviceAgent): void {
  app.get('/v1/changes', {
    schema: route('listChanges', 'changes made on this device', { 200: { description: 'what `skiff changes --json` prints', ...objectList } }),
  }, async () => changeList(agent.ops.runner));

  app.get<{ Params: { id: number }; Querystring: { wait?: number } }>('/v1/changes/:id', {
    schema: route('getChange', 'one change with its tasks, each task\'s progress {label, done, total}, and (once ready) its outcome',
      { 200: { description: 'the change; ready: nothing more will happen to it; outcome: {result} or {error} of the request that started it', ...anyObject } },
      { params: idParam, querystring: { type: 'object', properties: { wait: { type: 'number', minimum: 0, maximum: MAX_WAIT_SECONDS } } } }),
  }, async (request) => {
    const { id } = request.params;
    agent.ops.runner.change(id); // 404 before waiting on a change that does not exist
    // Long poll: answers at the change's next update (a task's status, download progress) or after wait seconds.
    await agent.feed.wait(id, request.query.wait ?? 0);
    return agent.feed.view(id);
  });

  app.post<{ Params: { id: number } }>('/v1/changes/:id/abort', {
    schema: route('abortChange', 'stop a change and undo it (refused past its commit point)', { 200: { description: '{id, status}', ...anyObject } }, { params: idParam }),
  }, async (request) => {
    access.rootOnly(request);
    const c = await agent.ops.abort(request.params.id);
    return { id: c.id, status: c.status };
  });
}
