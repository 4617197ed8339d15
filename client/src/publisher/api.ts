// The store's publisher API over HTTP (node's fetch). JSON in, JSON out; a refusal becomes a
// StoreRequestError carrying the store's own code and status.
import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { UPLOAD_HEADERS, signBytes, uploadSignaturePayload, type KeyPair } from '@skiff/bundle';
import { StoreRequestError, StoreUnreachableError } from './errors';

export interface StoreClientOptions {
  url: string;
  token?: string;
  /** Time allowed for a JSON request, end to end. */
  requestTimeoutMs?: number;
  /** An upload is abandoned when no byte moves for this long. */
  uploadStallTimeoutMs?: number;
}

export interface ChannelEntry { revision: number; version: string; released?: string }
export interface AppInfo {
  name: string; publisher: string; summary: string; created: string;
  channels: Record<string, ChannelEntry>;
  revisions: { revision: number; version: string; size: number; sha256: string; created: string }[];
}
export interface UploadResult { name: string; revision: number; version: string; sha256: string; size: number }
export interface ReleaseResult { name: string; channel: string; revision: number | null; channels: Record<string, ChannelEntry> }
export interface SearchResult { name: string; publisher: string; summary: string; version?: string; revision?: number }

export interface SignedUpload {
  file: string; name: string; sha256: string; size: number; keyId: string; keyPair: KeyPair;
  /** Called with the bytes sent so far. */
  onProgress?: (sentBytes: number) => void;
}

const DEFAULTS = { requestTimeoutMs: 30_000, uploadStallTimeoutMs: 60_000 };

export class StoreClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly opts: typeof DEFAULTS;

  constructor(options: StoreClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.opts = { ...DEFAULTS, ...options };
  }

  account() {
    return this.json<{ name: string; created: string; apps: { name: string; summary: string }[] }>('GET', '/v1/account');
  }
  keys() {
    return this.json<{ keys: { name: string; keyId: string; publicKey: string; created: string }[] }>('GET', '/v1/account/keys');
  }
  registerKey(name: string, publicKey: string) {
    return this.json<{ name: string; keyId: string; publicKey: string }>('POST', '/v1/account/keys', { name, publicKey });
  }
  registerName(name: string) {
    return this.json<{ name: string; publisher: string }>('POST', '/v1/apps', { name });
  }
  info(name: string) {
    return this.json<AppInfo>('GET', `/v1/apps/${encodeURIComponent(name)}`);
  }
  search(query: string) {
    return this.json<{ results: SearchResult[] }>('GET', `/v1/search?q=${encodeURIComponent(query)}`);
  }
  release(name: string, revision: number, channel: string) {
    return this.json<ReleaseResult>('POST', `/v1/apps/${encodeURIComponent(name)}/releases`, { revision, channel });
  }
  close(name: string, channel: string) {
    return this.json<ReleaseResult>('POST', `/v1/apps/${encodeURIComponent(name)}/close`, { channel });
  }

  uploadLimits() {
    return this.json<{ maxUploadBytes: number }>('GET', '/v1/uploads/limits');
  }

  /** Streams a bundle to the store, signed over the canonical JSON of {name, sha256, size}. */
  async upload(u: SignedUpload): Promise<UploadResult> {
    const { maxUploadBytes } = await this.uploadLimits();
    if (u.size > maxUploadBytes) {
      throw new StoreRequestError('too-large', `the bundle is ${u.size} bytes; ${this.url} accepts at most ${maxUploadBytes}`, 413);
    }
    const signature = signBytes(u.keyPair.secretKey, uploadSignaturePayload(u.name, u.sha256, u.size));
    const abort = new AbortController();
    let sent = 0;
    let stall = setTimeout(() => abort.abort(), this.opts.uploadStallTimeoutMs);
    const meter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        sent += chunk.length;
        clearTimeout(stall);
        stall = setTimeout(() => abort.abort(), this.opts.uploadStallTimeoutMs);
        u.onProgress?.(sent);
        done(null, chunk);
      },
    });
    const body = Readable.toWeb(createReadStream(u.file).pipe(meter)) as ReadableStream;
    try {
      return await this.request<UploadResult>('POST', '/v1/uploads', {
        body, signal: abort.signal,
        headers: {
          'content-type': 'application/octet-stream', 'content-length': String(u.size),
          [UPLOAD_HEADERS.keyId]: u.keyId, [UPLOAD_HEADERS.signature]: signature,
        },
      });
    } catch (err) {
      // A store that refuses a body early closes the connection while we are still sending.
      if (err instanceof StoreUnreachableError && /EPIPE|ECONNRESET|UND_ERR_SOCKET/.test(err.message)) {
        throw new StoreUnreachableError(`${err.message} (the store closed the connection during the upload after ${sent} bytes)`);
      }
      throw err;
    } finally {
      clearTimeout(stall);
    }
  }

  private json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, {
      signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
  }

  private async request<T>(method: string, path: string, init: { body?: string | ReadableStream; headers?: Record<string, string>; signal: AbortSignal }): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method, headers, signal: init.signal,
        ...(init.body !== undefined ? { body: init.body, duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError' ? 'timed out' : cause?.code ?? cause?.message ?? (err as Error).message;
      throw new StoreUnreachableError(`cannot reach the store at ${this.url}: ${why}`);
    }
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new StoreUnreachableError(`${this.url}${path} answered ${res.status} with something that is not JSON; is ${this.url} a Skiff store?`);
    }
    if (!res.ok) {
      const e = (value as { error?: { code?: string; message?: string } }).error;
      throw new StoreRequestError(e?.code ?? `http-${res.status}`, `the store refused: ${e?.message ?? res.statusText} (${res.status})`, res.status);
    }
    return value as T;
  }
}
