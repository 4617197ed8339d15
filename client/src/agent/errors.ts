import { SkiffError } from '@skiff/bundle/errors';

/** Another skiffd serves this device root. */
export class AgentRunningError extends SkiffError {
  constructor(readonly pid: number, root: string) {
    super('agent-running', `another skiffd (pid ${pid || 'unknown'}) serves the device under ${root}; stop it first`);
  }
}

/** skiffd went away while a command followed its change. */
export class AgentGoneError extends SkiffError {
  constructor(message: string) { super('agent-gone', message); }
}

/** HTTP status for each error code skiffd answers with; any other code is a 500. */
export const HTTP_STATUS: Readonly<Record<string, number>> = {
  'usage': 400, 'config-invalid': 400, 'not-set-up': 400,
  'not-root': 403,
  'not-installed': 404, 'not-found': 404, 'change-not-found': 404, 'channel-not-found': 404, 'not-blocked': 404, 'service-not-found': 404,
  'already-installed': 409, 'change-in-progress': 409, 'cannot-abort': 409, 'cannot-revert': 409,
  'agent-stopping': 503,
};
