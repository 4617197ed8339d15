// tuf-js's fetcher over the client's HTTP client: metadata and small targets, capped, timed and retried.
import type { IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
// The fetcher module alone: the rest of tuf-js loads only when metadata is refreshed (CLI start-up).
import { BaseFetcher } from 'tuf-js/dist/fetcher';
import { DownloadHTTPError } from 'tuf-js/dist/error';
import { HttpClient, isTransient, readBody, withRetries } from '../http';
import { TrustRefusedError } from './errors';
import type { TrustSettings } from './settings';

/** tuf-js recognises the 404 that ends the root-rotation walk only as its own DownloadHTTPError. */
export class StoreHTTPError extends DownloadHTTPError {
  constructor(readonly url: string, statusCode: number) {
    super(`store answered HTTP ${statusCode} for ${url}`, statusCode);
  }
}

/** The HTTP client's transient failures, and the store's 5xx answers, which tuf-js must see as StoreHTTPError. */
const transient = (err: unknown) => (err instanceof StoreHTTPError ? err.statusCode >= 500 : isTransient(err));

// Metadata is JSON that shrinks ~8 times; the store and nginx (gzip_static) serve precompressed copies.
const ACCEPT_GZIP = { 'accept-encoding': 'gzip' };

/** The body as sent, or inflated when the server compressed it (the byte cap then applies to what it inflates to). */
function decoded(res: IncomingMessage): Readable {
  if (res.headers['content-encoding'] !== 'gzip') return res;
  return pipeline(res, createGunzip(), () => undefined);
}

export class StoreFetcher extends BaseFetcher {
  /** The last error this fetcher threw: tuf-js wraps snapshot and targets failures into a string. */
  lastFailure: Error | undefined;
  /** Also carries the bundle downloads (download.ts), on the same kept-alive sockets. */
  readonly http: HttpClient;

  constructor(private readonly settings: TrustSettings) {
    super();
    this.http = new HttpClient(settings);
  }

  /** BaseFetcher's primitive (used by its downloadFile): a web stream of a 200 response. */
  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    return Readable.toWeb(await this.open200(url)) as ReadableStream<Uint8Array<ArrayBuffer>>;
  }

  /** Metadata and other small files, held in memory: capped at maxLength bytes and metadataTimeoutMs. */
  override async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const name = basename(new URL(url).pathname);
    try {
      return await withRetries(this.settings, async () => readBody(decoded(await this.open200(url, ACCEPT_GZIP)), url, {
        maxBytes: maxLength, timeoutMs: this.settings.metadataTimeoutMs,
        tooLarge: () => new TrustRefusedError(`store sent more than the ${maxLength} bytes allowed for ${name}; refused (endless data)`),
      }), { transient });
    } catch (err) {
      this.lastFailure = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  private async open200(url: string, headers?: Record<string, string>): Promise<IncomingMessage> {
    const res = await this.http.open(url, headers ? { headers } : {});
    if (res.statusCode === 200) return res;
    res.resume();
    throw new StoreHTTPError(url, res.statusCode ?? 0);
  }
}
