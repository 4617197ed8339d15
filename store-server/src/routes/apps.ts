import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppInfo, AppName, ChannelText, ReleaseReply, Revision, SearchReply, errors, ref } from './schemas';

/** Names, app info, search, releases and closing channels. */
export const appRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const Params = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

  app.post('/apps', {
    onRequest: app.requireAccount,
    schema: {
      operationId: 'registerApp', summary: 'Register an app name (first come, first served)', tags: ['apps'], security: [{ token: [] }],
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      response: { 201: Type.Object({ name: AppName, publisher: Type.String() }, { description: 'The name, now the account\'s' }), ...errors(400, 401, 403, 409) },
    },
  }, async (req, reply) => {
    const row = app.store.apps.register(req.account, req.body.name);
    reply.code(201);
    return { name: row.name, publisher: row.publisher };
  });

  app.get('/apps/:name', {
    schema: {
      operationId: 'getApp', summary: 'App info: channel map and revisions', tags: ['apps'], params: Params,
      response: { 200: ref(AppInfo, 'The app'), ...errors(404) },
    },
  }, async (req) => app.store.apps.info(req.params.name));

  app.get('/search', {
    schema: {
      operationId: 'searchApps', summary: 'Search apps by name and summary', tags: ['apps'],
      querystring: Type.Object({ q: Type.String({ maxLength: 100, description: 'text to find in names and summaries' }) }),
      response: { 200: ref(SearchReply, 'At most maxSearchResults apps, by name'), ...errors(400) },
    },
  }, async (req) => ({ results: app.store.apps.search(req.query.q) }));

  app.post('/apps/:name/releases', {
    onRequest: app.requireAccount,
    schema: {
      operationId: 'releaseRevision', summary: 'Release a revision to a channel', tags: ['apps'], security: [{ token: [] }], params: Params,
      body: Type.Object({ revision: Revision, channel: ChannelText }, { additionalProperties: false }),
      response: { 200: ref(ReleaseReply, 'Released and signed'), ...errors(400, 401, 403, 404) },
    },
  }, async (req) => app.store.releases.release(req.account, req.params.name, req.body.revision, req.body.channel));

  app.post('/apps/:name/close', {
    onRequest: app.requireAccount,
    schema: {
      operationId: 'closeChannel', summary: 'Close a channel: devices following it get nothing new from it', tags: ['apps'], security: [{ token: [] }], params: Params,
      body: Type.Object({ channel: ChannelText }, { additionalProperties: false }),
      response: { 200: ref(ReleaseReply, 'Closed and signed'), ...errors(400, 401, 403, 404) },
    },
  }, async (req) => app.store.releases.close(req.account, req.params.name, req.body.channel));
};
