import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pageCache } from './page-cache';
import type { SessionStore } from './sessions';
import { appPageView, formatBytes } from './views';

/** The pages anyone may read: home, an app, search results. */
export const publicPages: FastifyPluginAsyncTypebox<{ sessions: SessionStore }> = async (app) => {
  const { settings, db } = app.store.context;
  const cache = pageCache(db, settings.pageCacheEntries);
  const html = (reply: FastifyReply, page: string) => reply.type('text/html; charset=utf-8').send(page);

  app.get('/', async (_req, reply) => html(reply, await cache.get('home', () => app.view('home', {
    title: 'Apps', recent: app.store.apps.recentlyUpdated(settings.recentAppsOnHome),
  }))));

  app.get('/apps/:name', { schema: { params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }) } }, async (req, reply) => {
    const page = await cache.get(`app\0${req.params.name}`, async () => {
      const view = await appPageView(app.store, req.params.name);
      return app.view('app', { title: view.name, app: view, formatBytes });
    });
    return html(reply, page);
  });

  app.get('/search', {
    schema: { querystring: Type.Object({ q: Type.String({ maxLength: 100, default: '' }), page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }) }) },
  }, async (req, reply) => {
    const { q, page } = req.query;
    return html(reply, await cache.get(`search\0${q}\0${page}`, () => {
      const { results, total } = app.store.apps.searchPage(q, page);
      const pages = Math.max(1, Math.ceil(total / settings.searchPageSize));
      const link = (n: number) => `/search?${new URLSearchParams({ q, page: String(n) }).toString()}`;
      return app.view('search', {
        title: q ? `Search: ${q}` : 'All apps', q, results, total, page, pages,
        prev: page > 1 ? link(Math.min(page - 1, pages)) : null, next: page < pages ? link(page + 1) : null,
      });
    }));
  });
};
