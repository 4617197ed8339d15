import { randomBytes } from 'node:crypto';

/** A publisher signed in on the pages. */
export interface Session {
  id: string;
  /** The account's name (accounts are never renamed). */
  account: string;
  /** When the session ends, in ms since the epoch. */
  expiresMs: number;
  /** One line shown on the next page, then dropped (e.g. "released revision 3 to latest/beta"). */
  notice?: string;
}

/** Random bytes in a session id: as many as in an API token. */
const SESSION_ID_BYTES = 32;

/**
 * Page sessions, in memory: a restart signs everyone out, which costs a publisher one paste of the token.
 * Kept in insertion order, so the oldest is the first to go when the store holds `maxSessions`.
 */
export function sessionStore(limits: { lifetimeSeconds: number; maxSessions: number }) {
  const sessions = new Map<string, Session>();
  return {
    create(account: string): Session {
      if (sessions.size >= limits.maxSessions) sessions.delete(sessions.keys().next().value!);
      const session: Session = { id: randomBytes(SESSION_ID_BYTES).toString('base64url'), account, expiresMs: Date.now() + limits.lifetimeSeconds * 1000 };
      sessions.set(session.id, session);
      return session;
    },
    /** The live session with this id, if any (an expired one is dropped). */
    get(id: string | undefined): Session | undefined {
      const session = id === undefined ? undefined : sessions.get(id);
      if (session && session.expiresMs <= Date.now()) {
        sessions.delete(session.id);
        return undefined;
      }
      return session;
    },
    end: (id: string) => void sessions.delete(id),
    get size() { return sessions.size; },
  };
}
export type SessionStore = ReturnType<typeof sessionStore>;
