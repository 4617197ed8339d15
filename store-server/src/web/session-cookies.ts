import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session, SessionStore } from './sessions';

export const SESSION_COOKIE = 'skiff_session';
export const CSRF_COOKIE = 'skiff_csrf';

/** Secure when the browser reached the store over TLS (directly, or through a proxy the store trusts: `trustProxyHops`). */
const overTls = (req: FastifyRequest) => req.protocol === 'https';

/** The session of the request's cookie, if it is live. */
export function sessionOf(sessions: SessionStore, req: FastifyRequest): Session | undefined {
  return sessions.get(req.cookies[SESSION_COOKIE]);
}

/** The session cookie: never readable by script, never sent on a request started by another site. */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, session: Session, lifetimeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, session.id, { path: '/', httpOnly: true, sameSite: 'strict', secure: overTls(req), maxAge: lifetimeSeconds });
}

/** Forgets both cookies: the next form gets a CSRF secret of its own, so no token from before still works. */
export function clearCookies(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
}

/** A CSRF token for the forms of the page being rendered (its secret cookie is set on the way). */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  return reply.generateCsrf({ secure: overTls(req) } as never);
}
