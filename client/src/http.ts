// The client's one HTTP client (node:http(s), measured faster than fetch for bundles) and its one retry loop:
// keep-alive, redirects, a time limit for the answer, a stall timer on every body, byte caps on small bodies.
import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '@skiff/bundle';
import { DownloadFailedError } from './trust/errors';

export interface HttpSettings {
  /** Time allowed to receive the response headers once the request is sent, in milliseconds. */
  requestTimeoutMs: number;
  /** Time allowed without a byte moving while a body is sent or received, in milliseconds. */
  stallTimeoutMs: number;
  /** Redirects followed per GET (a mirror or CDN in front of the store). */
  maxRedirects: number;
  /** Sent as User-Agent so store operators can tell devices and publishers apart from browsers. */
  userAgent: string;
}

export interface RetryPolicy {
  /** Extra attempts after a transient failure (a download resumes from what it has). */
  retries: number;
  /** First backoff delay, doubled each time up to retryMaxDelayMs, in milliseconds. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

/** body: a string, or a stream sent as it is read (give its content-length in headers). */
export type RequestOptions = Pick<http.RequestOptions, 'method' | 'signal'> & { headers?: Record<string, string>; body?: string | Readable };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HttpClient {
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  constructor(private readonly settings: HttpSettings) {}

  /** Sends a request (a GET follows redirects) and resolves with the response once its headers arrive. */
  async open(url: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    for (let hops = 0; ; hops++) {
      const res = await this.request(url, opts);
      const location = res.headers.location;
      if ((opts.method ?? 'GET') !== 'GET' || !REDIRECTS.has(res.statusCode ?? 0) || !location) return res;
      res.resume();
      if (hops >= this.settings.maxRedirects) throw new DownloadFailedError(`more than ${this.settings.maxRedirects} redirects for ${url}`, url, res.statusCode);
      url = new URL(location, url).href;
    }
  }

  private request(url: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const u = new URL(url);
    const client = ({ 'http:': http, 'https:': https } as const)[u.protocol];
    if (!client) return Promise.reject(new DownloadFailedError(`unsupported store URL ${url} (http or https only)`, url));
    const { requestTimeoutMs, stallTimeoutMs, userAgent } = this.settings;
    const { body, ...rest } = opts;
    return new Promise((resolve, reject) => {
      const agent = client === https ? this.agents.https : this.agents.http;
      const req = client.request(u, { ...rest, agent, headers: { 'user-agent': userAgent, ...opts.headers } });
      let res: http.IncomingMessage | undefined;
      let timer: NodeJS.Timeout | undefined;
      const awaitAnswer = () => {
        if (!res) timer = setTimeout(() => req.destroy(new DownloadFailedError(
          `timed out: no answer from ${u.host} within ${requestTimeoutMs} ms for ${url}`, url, undefined, true)), requestTimeoutMs);
      };
      // Idle socket = no byte moved for stallTimeoutMs; while we wait for the answer, awaitAnswer's timer rules instead.
      const onIdle = () => {
        if (res) res.destroy(new DownloadFailedError(`store sent nothing for ${stallTimeoutMs} ms while sending ${url}`, url, undefined, true));
        else if (timer === undefined) req.destroy(new DownloadFailedError(`store took nothing for ${stallTimeoutMs} ms while receiving ${url}`, url, undefined, true));
      };
      req.on('socket', (socket) => {
        socket.setTimeout(stallTimeoutMs, onIdle);
        req.once('close', () => socket.setTimeout(0, onIdle)); // also removes the listener from a socket kept alive
      });
      req.on('error', (err) => { clearTimeout(timer); reject(asDownloadError(err, url)); });
      req.on('response', (r) => { clearTimeout(timer); res = r; resolve(r); });
      if (typeof body === 'object') {
        req.once('finish', awaitAnswer);
        pipeline(body, req, () => undefined); // a failure on either side destroys both; req's 'error' reports it
      } else {
        awaitAnswer();
        req.end(body);
      }
    });
  }
}

/** Reads a small body into memory, cut at maxBytes (endless data) and at timeoutMs (a slow drip). */
export async function readBody(res: Readable, url: string, limits: {
  maxBytes: number; timeoutMs: number; tooLarge: () => Error;
}): Promise<Buffer> {
  const deadline = setTimeout(() => res.destroy(new DownloadFailedError(
    `store took more than ${limits.timeoutMs} ms to send ${url}`, url, undefined, true)), limits.timeoutMs);
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > limits.maxBytes) {
        res.destroy();
        throw limits.tooLarge();
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw asDownloadError(err, url);
  } finally {
    clearTimeout(deadline);
  }
  return Buffer.concat(chunks, received);
}

/** A failure worth another attempt: network errors, timeouts, truncated bodies, HTTP 5xx. */
export const isTransient = (err: unknown): boolean => err instanceof DownloadFailedError && err.transient;

/**
 * Runs `attempt` until it succeeds, retrying transient failures with exponential backoff. An attempt that
 * made progress (a resumed download holds more bytes) starts the count again: a flaky link is not a dead one.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: () => Promise<T>, opts: {
  transient?: (err: unknown) => boolean; progress?: () => number; signal?: AbortSignal | undefined;
}): Promise<T> {
  for (let failures = 0; ;) {
    const before = opts.progress?.() ?? 0;
    try {
      return await attempt();
    } catch (err) {
      if (opts.signal?.aborted || !(opts.transient ?? isTransient)(err)) throw err;
      if ((opts.progress?.() ?? 0) > before) failures = 0;
      if (++failures > policy.retries) throw err;
      await sleep(Math.min(policy.retryBaseDelayMs * 2 ** (failures - 1), policy.retryMaxDelayMs), undefined, opts.signal ? { signal: opts.signal } : {});
    }
  }
}

/** Node's socket errors become one clear, retryable line (a cancel is reported by whoever cancelled); ours pass through. */
export function asDownloadError(err: unknown, url: string): Error {
  if (err instanceof SkiffError) return err;
  const e = err as NodeJS.ErrnoException;
  const why = e?.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}` : String(e?.message ?? err);
  return new DownloadFailedError(`cannot download ${url}: ${why}`, url, undefined, true);
}
