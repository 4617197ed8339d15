// The thin `skiff`'s side of the API: JSON over HTTP on skiffd's unix socket.
import { request } from 'node:http';
import { connect } from 'node:net';
import { DeviceLayout } from '@skiff/bundle/layout';
import { SkiffError } from '@skiff/bundle/errors';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentGoneError } from './errors';
import { livePid } from './claim';

/** Milliseconds a command waits for skiffd to accept before running in-process (a live agent accepts at once). */
export const CONNECT_TIMEOUT_MS = 500;
/** Bytes of an answer read from skiffd (a change with its task logs stays far below). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** skiffd refused: its {"error": {code, message}} as the CLI's own error, so it prints and exits alike. */
export class AgentError extends SkiffError {
  constructor(code: string, message: string, readonly status: number) { super(code, message); }
}

export class AgentClient {
  constructor(readonly socket: string) {}

  /** One request; answers the status and parsed body; AgentGoneError when skiffd cannot be reached. */
  send<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socket, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => { size += c.length; if (size > MAX_ANSWER_BYTES) req.destroy(new Error('answer too large')); else chunks.push(c); });
        res.on('end', () => {
          try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T }); } catch (err) { reject(err); }
        });
        res.on('error', reject);
      });
      req.on('error', (err) => reject(new AgentGoneError(`skiffd on ${this.socket} did not answer (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
      req.end(payload);
    });
  }

  /** A request whose error answer is thrown as an AgentError (the CLI's code and message). */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.send<T | { error: { code: string; message: string } }>(method, path, body);
    if (r.status >= 400) {
      const e = (r.body as { error?: { code: string; message: string } }).error;
      throw new AgentError(e?.code ?? 'internal-error', e?.message ?? `skiffd answered ${r.status}`, r.status);
    }
    return r.body as T;
  }
}

/** Milliseconds a command waits for a skiffd that runs but does not answer yet (it re-mounts and recovers first). */
export const AGENT_START_WAIT_MS = 5 * 60_000;
/** Milliseconds between two attempts to reach a starting skiffd. */
const AGENT_POLL_MS = 100;

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(socket);
    const done = (ok: boolean): void => { clearTimeout(timer); sock.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), CONNECT_TIMEOUT_MS);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * The agent of a device root when one accepts on its socket, else null (verbs then run in-process). A
 * skiffd that runs but does not answer yet is starting: in-process would only wait for its device lock.
 */
export async function agentFor(root: string): Promise<AgentClient | null> {
  const layout = new DeviceLayout(root);
  const deadline = Date.now() + AGENT_START_WAIT_MS;
  for (;;) {
    if (await answers(layout.agentSocket)) return new AgentClient(layout.agentSocket);
    const pid = livePid(layout);
    if (pid === null) return null;
    if (Date.now() > deadline) throw new AgentGoneError(`skiffd (pid ${pid}) runs but does not answer on ${layout.agentSocket}`);
    await sleep(AGENT_POLL_MS);
  }
}
