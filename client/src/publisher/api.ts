// The store's publisher API over the client's HTTP client. JSON in, JSON out; a refusal becomes a
// StoreRequestError carrying the store's own code and status.
import { createReadStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { UPLOAD_HEADERS, signBytes, uploadSignaturePayload, type Architecture, type KeyPair } from '@skiff/bundle';
import { HttpClient, readBody, type RequestOptions } from '../http';
import { DownloadFailedError } from '../trust/errors';
import { StoreRequestError, StoreUnreachableError } from './errors';

export interface StoreClientOptions {
  url: string;
  token?: string;
  /** Time allowed for the store to answer a request, and again to send a JSON answer. */
  requestTimeoutMs?: number;
  /** An upload is abandoned when no byte moves for this long. */
  uploadStallTimeoutMs?: number;
}

export interface ChannelEntry { revision: number; version: string; released?: string }
export interface AppInfo {
  name: string; publisher: string; summary: string; created: string;
  /** The channels whose revision every architecture shares. */
  channels: Record<string, ChannelEntry>;
  /** Architecture → channel → revision (absent from stores before architectures). */
  architectures?: Partial<Record<Architecture, Record<string, ChannelEntry>>>;
  revisions: { revision: number; version: string; size: number; sha256: string; architectures?: 'all' | Architecture[]; created: string }[];
}
export interface UploadResult { name: string; revision: number; version: string; sha256: string; size: number }
export interface ReleaseResult {
  name: string; channel: string; revision: number | null; channels: Record<string, ChannelEntry>;
  /** The architectures whose channel the release set (absent from stores before architectures). */
  released?: Architecture[];
  architectures?: Partial<Record<Architecture, Record<string, ChannelEntry>>>;
}
export interface SearchResult { name: string; publisher: string; summary: string; version?: string; revision?: number }

export interface SignedUpload {
  file: string; name: string; sha256: string; size: number; keyId: string; keyPair: KeyPair;
  /** Called with the bytes sent so far. */
  onProgress?: (sentBytes: number) => void;
}

/** Redirects followed per GET (a proxy in front of the store). */
const MAX_REDIRECTS = 5;
const DEFAULTS = { requestTimeoutMs: 30_000, uploadStallTimeoutMs: 60_000 };
/** Cap on a JSON answer, in bytes: something that is not the store cannot feed us endless data. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export class StoreClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly opts: typeof DEFAULTS;
  private readonly http: HttpClient;

  constructor(options: StoreClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.opts = { ...DEFAULTS, ...options };
    this.http = new HttpClient({
      requestTimeoutMs: this.opts.requestTimeoutMs, stallTimeoutMs: this.opts.uploadStallTimeoutMs, maxRedirects: MAX_REDIRECTS, userAgent: 'skiff-publisher',
    });
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
    let sent = 0;
    const body = createReadStream(u.file).on('data', (chunk) => u.onProgress?.(sent += chunk.length));
    try {
      return await this.request<UploadResult>('POST', '/v1/uploads', {
        body, headers: {
          'content-type': 'application/octet-stream', 'content-length': String(u.size),
          [UPLOAD_HEADERS.keyId]: u.keyId, [UPLOAD_HEADERS.signature]: signature,
        },
      });
    } catch (err) {
      // A store that refuses a body early closes the connection while we are still sending.
      if (err instanceof StoreUnreachableError && /EPIPE|ECONNRESET/.test(err.message)) {
        throw new StoreUnreachableError(`${err.message} (the store closed the connection during the upload after ${sent} bytes)`);
      }
      throw err;
    }
  }

  private json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  private async request<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const url = `${this.url}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: IncomingMessage, text: string;
    try {
      res = await this.http.open(url, { ...opts, method, headers });
      text = (await readBody(res, url, {
        maxBytes: MAX_ANSWER_BYTES, timeoutMs: this.opts.requestTimeoutMs,
        tooLarge: () => new StoreUnreachableError(`${url} answered more than ${MAX_ANSWER_BYTES} bytes; is ${this.url} a Skiff store?`),
      })).toString();
    } catch (err) {
      // The HTTP client names the URL and the cause; say which store and drop its download wording.
      throw err instanceof DownloadFailedError ? new StoreUnreachableError(`cannot reach the store at ${this.url}: ${err.message.replace(/^cannot download \S+: /, '')}`) : err;
    }
    const status = res.statusCode ?? 0;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new StoreUnreachableError(`${url} answered ${status} with something that is not JSON; is ${this.url} a Skiff store?`);
    }
    if (status < 200 || status > 299) {
      const e = (value as { error?: { code?: string; message?: string } }).error;
      throw new StoreRequestError(e?.code ?? `http-${status}`, `the store refused: ${e?.message ?? res.statusMessage} (${status})`, status);
    }
    return value as T;
  }
}
