// The thin `skiff`'s side of the API: JSON over HTTP on skiffd's unix socket.
import { request } from 'node:http';
import { DeviceLayout } from '@skiff/bundle/layout';
import { SkiffError } from '@skiff/bundle/errors';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentGoneError } from './errors';
import { livePid } from './claim';

/** Bytes of an answer read from skiffd (a change with its task logs stays far below). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** Nothing accepts on the socket (yet): no byte of the request left. */
class NotListening extends Error {}

/** skiffd refused: its {"error": {code, message}} as the CLI's own error, so it prints and exits alike. */
export class AgentError extends SkiffError {
  constructor(code: string, message: string, readonly status: number) { super(code, message); }
}

export class AgentClient {
  readonly socket: string;

  constructor(private readonly layout: DeviceLayout) { this.socket = layout.agentSocket; }

  /** One request; a skiffd that runs but does not accept yet is waited for; AgentGoneError when it is gone. */
  async send<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const deadline = Date.now() + AGENT_START_WAIT_MS;
    for (;;) {
      try {
        return await this.once<T>(method, path, body);
      } catch (err) {
        const starting = err instanceof NotListening && livePid(this.layout) !== null && Date.now() < deadline;
        if (!starting) throw err instanceof NotListening ? new AgentGoneError(err.message) : err;
        await sleep(AGENT_POLL_MS);
      }
    }
  }

  private once<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
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
      req.on('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        const message = `skiffd on ${this.socket} did not answer (${code ?? err.message})`;
        // Refused or absent: nothing was sent, so the request may be tried again; any other failure may not.
        reject(code === 'ECONNREFUSED' || code === 'ENOENT' ? new NotListening(message) : new AgentGoneError(message));
      });
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

/**
 * The agent of a device root when its pid file names a live skiffd, else null (verbs then run in-process).
 * No probe connection: the first request is the probe, and one to a skiffd still starting is retried.
 */
export function agentFor(root: string): AgentClient | null {
  const layout = new DeviceLayout(root);
  return livePid(layout) === null ? null : new AgentClient(layout);
}
