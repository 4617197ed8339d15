// The HTTP client under tuf-js and our bundle downloads: node http(s), byte caps, timeouts, retries.
import http from 'node:http';
import https from 'node:https';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
// The fetcher module alone: the rest of tuf-js loads only when metadata is refreshed (CLI start-up).
import { BaseFetcher } from 'tuf-js/dist/fetcher';
import { DownloadHTTPError } from 'tuf-js/dist/error';
import { SkiffError } from '@skiff/bundle';
import { DownloadAbortedError, DownloadFailedError, TrustRefusedError } from './errors';
import type { TrustSettings } from './settings';

/** tuf-js recognises the 404 that ends the root-rotation walk only as its own DownloadHTTPError. */
export class StoreHTTPError extends DownloadHTTPError {
  constructor(readonly url: string, statusCode: number) {
    super(`store answered HTTP ${statusCode} for ${url}`, statusCode);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface OpenOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** True for failures worth another attempt: network errors, timeouts, truncated bodies, HTTP 5xx. */
export function isTransient(err: unknown): boolean {
  if (err instanceof StoreHTTPError) return err.statusCode >= 500;
  return err instanceof DownloadFailedError && err.transient;
}

/** Runs `attempt` until it succeeds, retrying transient failures with exponential backoff. */
export async function withRetries<T>(settings: TrustSettings, attempt: (n: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= settings.retries || !isTransient(err) || signal?.aborted) throw err;
      await sleep(Math.min(settings.retryBaseDelayMs * 2 ** n, settings.retryMaxDelayMs));
    }
  }
}

export class StoreFetcher extends BaseFetcher {
  /** The last error this fetcher threw: tuf-js wraps snapshot and targets failures into a string. */
  lastFailure: Error | undefined;
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  constructor(private readonly settings: TrustSettings) {
    super();
  }

  /** Sends a GET, following redirects, and resolves with the response once its headers arrive; the body then has a stall timer. */
  async open(url: string, opts: OpenOptions = {}): Promise<http.IncomingMessage> {
    for (let hops = 0; ; hops++) {
      const res = await this.request(url, opts);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return res;
      res.resume();
      if (hops >= this.settings.maxRedirects) throw new DownloadFailedError(`more than ${this.settings.maxRedirects} redirects for ${url}`, url, res.statusCode);
      url = new URL(location, url).href;
    }
  }

  private request(url: string, opts: OpenOptions): Promise<http.IncomingMessage> {
    const u = new URL(url);
    const client = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (!client) return Promise.reject(new DownloadFailedError(`unsupported store URL ${url} (http or https only)`, url));
    const agent = u.protocol === 'https:' ? this.agents.https : this.agents.http;
    const { requestTimeoutMs, stallTimeoutMs, userAgent } = this.settings;
    return new Promise((resolve, reject) => {
      const req = client.get(u, { agent, headers: { 'user-agent': userAgent, ...opts.headers }, signal: opts.signal });
      const timer = setTimeout(() => req.destroy(new DownloadFailedError(
        `no answer from ${u.host} within ${requestTimeoutMs} ms for ${url}`, url, undefined, true)), requestTimeoutMs);
      req.on('error', (err) => { clearTimeout(timer); reject(asDownloadError(err, url)); });
      req.on('response', (res) => {
        clearTimeout(timer);
        const socket = res.socket;
        // Idle socket timeout = no byte received for stallTimeoutMs; cleared before the socket is reused.
        const onStall = () => res.destroy(new DownloadFailedError(
          `store sent nothing for ${stallTimeoutMs} ms while sending ${url}`, url, undefined, true));
        socket.setTimeout(stallTimeoutMs, onStall);
        res.once('close', () => socket.setTimeout(0, onStall)); // also removes the listener from a socket kept alive
        resolve(res);
      });
    });
  }

  /** BaseFetcher's primitive (used by its downloadFile): a web stream of a 200 response. */
  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const res = await this.open(url);
    if (res.statusCode !== 200) {
      res.resume();
      throw new StoreHTTPError(url, res.statusCode ?? 0);
    }
    return Readable.toWeb(res) as ReadableStream<Uint8Array<ArrayBuffer>>;
  }

  /** Metadata and other small files, held in memory: capped at maxLength bytes and metadataTimeoutMs. */
  override async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    try {
      return await withRetries(this.settings, () => this.readCapped(url, maxLength));
    } catch (err) {
      this.lastFailure = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  private async readCapped(url: string, maxLength: number): Promise<Buffer> {
    const name = basename(new URL(url).pathname);
    const res = await this.open(url);
    if (res.statusCode !== 200) {
      res.resume();
      throw new StoreHTTPError(url, res.statusCode ?? 0);
    }
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (declared > maxLength) {
      res.destroy();
      throw new TrustRefusedError(`store offers ${declared} bytes for ${name}, more than the ${maxLength} allowed; refused`);
    }
    const deadline = setTimeout(() => res.destroy(new DownloadFailedError(
      `store took more than ${this.settings.metadataTimeoutMs} ms to send ${url}`, url, undefined, true)), this.settings.metadataTimeoutMs);
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > maxLength) {
          res.destroy();
          throw new TrustRefusedError(`store sent more than the ${maxLength} bytes allowed for ${name}; refused (endless data)`);
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
}

/** Node's socket errors become one clear, retryable line; our own errors pass through. */
export function asDownloadError(err: unknown, url: string): Error {
  if (err instanceof SkiffError || err instanceof DownloadHTTPError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'AbortError') return new DownloadAbortedError(`download of ${url} was cancelled`);
  const why = e?.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}` : String(e?.message ?? err);
  return new DownloadFailedError(`cannot download ${url}: ${why}`, url, undefined, true);
}
