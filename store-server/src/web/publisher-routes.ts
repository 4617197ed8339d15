import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BadRequestError, StoreError, UnauthorizedError } from '../errors';
import type { AccountRow } from '../repositories/accounts';
import type { Session, SessionStore } from './sessions';
import { clearCookies, csrfToken, sessionOf, setSessionCookie } from './session-cookies';
import { formatBytes } from './views';

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
const Csrf = { _csrf: Type.String({ maxLength: 200 }) };

/**
 * The publisher area: sign in with an API token, the account's apps, releasing and closing channels.
 * Every action goes through the services the JSON API uses, so its rules and refusals are the same.
 */
export const publisherPages: FastifyPluginAsyncTypebox<{ sessions: SessionStore }> = async (app, { sessions }) => {
  const { store } = app;
  const lifetime = store.context.settings.sessionLifetimeSeconds;

  /** The signed-in account, or a refusal: a page to read sends the browser to sign in, a form is refused. */
  const signedIn = (req: FastifyRequest): { session: Session; account: AccountRow } | null => {
    const session = sessionOf(sessions, req);
    const account = session && store.context.accounts.findByName(session.account);
    return session && account ? { session, account } : null;
  };
  const requireSignedIn = (req: FastifyRequest) => {
    const who = signedIn(req);
    if (!who) throw new UnauthorizedError('you are not signed in (or your session ended): sign in again');
    return who;
  };
  /** Drops the session's one-line notice as it is shown. */
  const takeNotice = (session: Session) => {
    const notice = session.notice;
    delete session.notice;
    return notice ?? null;
  };

  app.addHook('onSend', async (_req, reply) => void reply.header('cache-control', 'no-store'));

  app.get('/publisher/sign-in', async (req, reply) => {
    if (signedIn(req)) return reply.redirect('/publisher', 303);
    return reply.view('sign-in', { title: 'Sign in', csrf: csrfToken(req, reply), error: null });
  });

  app.post('/publisher/sign-in', {
    preHandler: app.csrfProtection,
    schema: { body: Type.Object({ token: Type.String({ maxLength: 200 }), ...Csrf }) },
  }, async (req, reply) => {
    let account: AccountRow;
    try {
      account = store.accounts.authenticate(`Bearer ${req.body.token.trim()}`);
    } catch (err) {
      if (!(err instanceof UnauthorizedError)) throw err;
      return reply.code(401).view('sign-in', { title: 'Sign in', csrf: csrfToken(req, reply), error: 'that API token is not valid: paste the token `skiff-store account add` printed' });
    }
    const session = sessions.create(account.name);
    // A new CSRF secret with the new session: tokens from the sign-in page go no further.
    clearCookies(reply);
    setSessionCookie(req, reply, session, lifetime);
    return reply.redirect('/publisher', 303);
  });

  app.post('/publisher/sign-out', { preHandler: app.csrfProtection, schema: { body: Type.Object(Csrf) } }, async (req, reply) => {
    const who = signedIn(req);
    if (who) sessions.end(who.session.id);
    clearCookies(reply);
    return reply.redirect('/', 303);
  });

  app.get('/publisher', async (req, reply) => {
    const who = signedIn(req);
    if (!who) return reply.redirect('/publisher/sign-in', 303);
    return reply.view('publisher', {
      title: 'Your apps', signedIn: who.account.name, csrf: csrfToken(req, reply), apps: store.apps.ownedBy(who.account),
    });
  });

  const appPage = (req: FastifyRequest, reply: FastifyReply, who: { session: Session; account: AccountRow }, name: string, form: { error?: string; revision?: string; channel?: string } = {}) => {
    const info = store.apps.info(store.apps.owned(who.account, name).name);
    return reply.view('publisher-app', {
      title: `Manage ${info.name}`, signedIn: who.account.name, csrf: csrfToken(req, reply), app: info, formatBytes,
      notice: takeNotice(who.session), error: form.error ?? null, form: { revision: form.revision ?? String(info.revisions.at(-1)?.revision ?? ''), channel: form.channel ?? '' },
    });
  };

  app.get('/publisher/apps/:name', { schema: { params: NameParams } }, async (req, reply) => {
    const who = signedIn(req);
    if (!who) return reply.redirect('/publisher/sign-in', 303);
    return appPage(req, reply, who, req.params.name);
  });

  /** Runs a change for the signed-in publisher; the store's refusal is shown on the app's page with the form as it was sent. */
  const act = async (req: FastifyRequest, reply: FastifyReply, name: string, form: { revision?: string; channel: string }, change: (account: AccountRow) => string) => {
    const who = requireSignedIn(req);
    try {
      who.session.notice = change(who.account);
    } catch (err) {
      // Not signed in, not the account's app: the error page. A bad channel or revision: the form again, saying why.
      if (!(err instanceof StoreError) || err.statusCode === 401 || err.statusCode === 403) throw err;
      reply.code(err.statusCode);
      return appPage(req, reply, who, name, { error: err.message, ...form });
    }
    return reply.redirect(`/publisher/apps/${encodeURIComponent(name)}`, 303);
  };

  app.post('/publisher/apps/:name/release', {
    preHandler: app.csrfProtection,
    schema: { params: NameParams, body: Type.Object({ revision: Type.String({ maxLength: 12 }), channel: Type.String({ maxLength: 80 }), ...Csrf }) },
  }, async (req, reply) => act(req, reply, req.params.name, req.body, (account) => {
    const revision = Number(req.body.revision);
    if (!/^\d+$/.test(req.body.revision) || revision < 1) throw new BadRequestError(`"${req.body.revision}" is not a revision: choose one of the list`);
    const r = store.releases.release(account, req.params.name, revision, req.body.channel.trim());
    return `Released revision ${r.revision} to ${r.channel}.`;
  }));

  app.post('/publisher/apps/:name/close', {
    preHandler: app.csrfProtection,
    schema: { params: NameParams, body: Type.Object({ channel: Type.String({ maxLength: 80 }), ...Csrf }) },
  }, async (req, reply) => act(req, reply, req.params.name, req.body, (account) => {
    const r = store.releases.close(account, req.params.name, req.body.channel.trim());
    return `Closed ${r.channel}.`;
  }));
};
