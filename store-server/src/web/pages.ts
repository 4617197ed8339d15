import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import { errorReply } from '../error-reply';
import { publicPages } from './public-routes';
import { publisherPages } from './publisher-routes';
import { apiDocsPage } from './docs-routes';
import { sessionStore } from './sessions';
import { CSRF_COOKIE } from './session-cookies';

/** Templates and the stylesheet, beside the package's compiled code (dist/src/web → web/). */
const WEB_DIR = join(__dirname, '..', '..', '..', 'web');
/** Largest form a page posts (a token, a channel, a revision). */
const FORM_BODY_LIMIT_BYTES = 8 * 1024;
/** How long browsers keep the stylesheet before asking again. */
const STATIC_MAX_AGE_SECONDS = 3600;

/** No script at all, styles only from the store's own stylesheet, forms only to the store. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** What a refused page request says: the store's message, or for a stale form, what to do about it. */
function pageError(err: FastifyError | Error): { status: number; message: string } {
  const code = (err as FastifyError).code;
  if (code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') {
    return { status: 403, message: 'this form has expired or did not come from this store: reload the page and send it again' };
  }
  const { status, body } = errorReply(err);
  return { status, message: body.error.message };
}

/**
 * The store's pages for people, server-rendered and working without JavaScript: browsing (home, app
 * pages, search), the publisher area and the API docs. Encapsulated: cookies, form bodies and HTML
 * errors stay out of the JSON API.
 */
export const webPages: FastifyPluginAsync = async (app) => {
  const { settings } = app.store.context;
  // Signs the CSRF cookie; a fresh one per process, like the in-memory sessions it goes with.
  await app.register(fastifyCookie, { secret: randomBytes(32).toString('hex') });
  await app.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT_BYTES });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/cookie', cookieKey: CSRF_COOKIE, cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, signed: true } });
  const eta = new Eta({ views: join(WEB_DIR, 'templates'), autoEscape: true, cache: true });
  await app.register(fastifyView, { engine: { eta }, root: join(WEB_DIR, 'templates'), production: true });
  await app.register(fastifyStatic, { root: join(WEB_DIR, 'static'), prefix: '/static/', decorateReply: false, index: false, maxAge: STATIC_MAX_AGE_SECONDS * 1000 });

  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin');
  });
  app.setErrorHandler(async (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const { status, message } = pageError(err);
    if (status === 500) req.log.error({ err }, 'page failed');
    return reply.code(status).view('error', { title: status === 404 ? 'Not found' : 'Refused', status, message: status === 500 ? 'the store failed to answer: its log says why' : message, signedIn: null });
  });

  const sessions = sessionStore({ lifetimeSeconds: settings.sessionLifetimeSeconds, maxSessions: settings.maxSessions });
  await app.register(publicPages, { sessions });
  await app.register(publisherPages, { sessions });
  await app.register(apiDocsPage, { sessions });
};
