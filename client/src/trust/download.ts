// One streaming pass per bundle: download, sha256 and write to <dest>.partial at once, resume with Range,
// and rename into dest only once the length and hash match what TUF signed.
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import { fsyncDir, hashFile } from '@skiff/bundle';
import { DownloadAbortedError, DownloadFailedError, NoSpaceError, TrustRefusedError } from './errors';
import { asDownloadError, withRetries } from '../http';
import type { StoreFetcher } from './fetcher';
import { noProgress, progressBar, type Progress } from './progress';
import { formatBytes } from '../format';
import type { TrustSettings } from './settings';
import type { SignedFile } from './types';

export interface BundleDownload {
  url: string;
  target: SignedFile;
  /** What the progress bar names (app and version, or the delta). */
  label: string;
  dest: string;
  fetcher: StoreFetcher;
  settings: TrustSettings;
  progress: boolean;
  onProgress?: ((done: number, total: number) => void) | undefined;
  signal?: AbortSignal;
}

/** The partial file and the sha256 of exactly the bytes it holds, [0, size). */
interface Partial {
  handle: FileHandle;
  size: number;
  hash: Hash;
}

const MiB = 1024 * 1024;
/** Bytes received but not yet written before we stop reading the socket. */
const WRITE_AHEAD_BYTES = 4 * MiB;

export async function downloadBundle(d: BundleDownload): Promise<void> {
  const { target, dest } = d;
  if (await alreadyVerified(dest, target)) return; // a task re-run after a crash that happened past the rename
  await mkdir(dirname(dest), { recursive: true });
  const partialPath = `${dest}.partial`;
  const kept = (await stat(partialPath).catch(() => undefined))?.size ?? 0;
  await checkFreeSpace(dirname(dest), target.length - Math.min(kept, target.length), d.settings, target.path);
  const partial = await openPartial(partialPath, target.length);
  let progress = noProgress;
  try {
    progress = d.progress ? await progressBar(d.label, target.length, partial.size) : noProgress;
    if (d.onProgress) progress = reporting(progress, d.onProgress, target.length);
    // Each transient failure waits (exponential backoff) and resumes from what is on disk.
    const fetchAll = () => withRetries(d.settings, () => fetchRest(d, partial, progress), { progress: () => partial.size, signal: d.signal });
    const resumedFrom = partial.size;
    await fetchAll();
    if (resumedFrom > 0 && !matches(partial, target)) {
      // The kept bytes may be what is wrong (left by something else): one fresh pass decides.
      await restart(partial);
      await fetchAll();
    }
    // TUF client workflow 5.7.3: the length and hash must match the signed target before anything uses it.
    const digest = partial.hash.copy().digest('hex');
    if (partial.size !== target.length) throw new TrustRefusedError(`${target.path}: got ${partial.size} bytes, signed length is ${target.length}; refused`);
    if (digest !== target.sha256) throw new TrustRefusedError(`${target.path} does not match its signed sha256 (got ${digest.slice(0, 12)}…, signed ${target.sha256.slice(0, 12)}…); refused`);
    await partial.handle.sync();
    await partial.handle.close();
    await rename(partialPath, dest);
    fsyncDir(dirname(dest));
  } catch (failure) {
    await partial.handle.close().catch(() => undefined);
    const err = d.signal?.aborted ? new DownloadAbortedError(`download of ${target.path} was cancelled; ${partial.size} bytes kept to resume`) : failure;
    // A refusal keeps nothing; a network failure keeps the partial (if any byte came) so the next attempt resumes.
    if (err instanceof TrustRefusedError || partial.size === 0) await rm(partialPath, { force: true });
    throw err;
  } finally {
    progress.stop();
  }
}

/** A progress that also tells a listener (the bar, if any, still draws). */
function reporting(inner: Progress, listener: (done: number, total: number) => void, total: number): Progress {
  return { update: (bytes) => { inner.update(bytes); listener(bytes, total); }, stop: () => inner.stop() };
}

function matches(partial: Partial, target: SignedFile): boolean {
  return partial.size === target.length && partial.hash.copy().digest('hex') === target.sha256;
}

async function alreadyVerified(dest: string, target: SignedFile): Promise<boolean> {
  const info = await stat(dest).catch(() => undefined);
  if (!info || info.size !== target.length) return false;
  return (await hashFile(dest)).sha256 === target.sha256;
}

/** Opens what a previous attempt left and re-hashes it, so the download continues from there. */
async function openPartial(path: string, length: number): Promise<Partial> {
  const handle = await open(path, 'r+').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return open(path, 'w+', 0o600);
    throw err;
  });
  let size = (await handle.stat()).size;
  if (size > length) {
    await handle.truncate(0);
    size = 0;
  }
  const hash = createHash('sha256');
  if (size > 0) {
    for await (const chunk of handle.createReadStream({ start: 0, end: size - 1, autoClose: false })) hash.update(chunk as Buffer);
  }
  return { handle, size, hash };
}

async function checkFreeSpace(dir: string, remaining: number, settings: TrustSettings, what: string): Promise<void> {
  const fs = await statfs(dir);
  const available = fs.bavail * fs.bsize;
  const needed = remaining + settings.freeDiskMarginBytes;
  if (available < needed) {
    throw new NoSpaceError(`not enough disk for ${what}: need ${formatBytes(needed)} free in ${dir} (including a ${formatBytes(settings.freeDiskMarginBytes)} margin), ${formatBytes(available)} available`, needed, available);
  }
}

/** One HTTP request for the bytes not yet on disk. */
async function fetchRest(d: BundleDownload, partial: Partial, progress: Progress): Promise<void> {
  const { target, url } = d;
  const from = partial.size;
  if (from === target.length) return;
  const res = await d.fetcher.http.open(url, { headers: from > 0 ? { range: `bytes=${from}-` } : {}, signal: d.signal });
  const status = res.statusCode ?? 0;
  const tooLong = (total: number) => new TrustRefusedError(`store serves ${total} bytes for ${target.path}, signed length is ${target.length}; refused`);
  if (status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!range || Number(range[1]) !== from) {
      res.destroy();
      throw new DownloadFailedError(`store answered ${url} with an unexpected range (${res.headers['content-range']}) for bytes=${from}-`, url, 206);
    }
    if (range[3] !== '*' && Number(range[3]) !== target.length) { res.destroy(); throw tooLong(Number(range[3])); }
  } else if (status === 200) {
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared !== target.length) { res.destroy(); throw tooLong(declared); }
    if (from > 0) await restart(partial); // the server ignored Range: start over rather than append a second copy
  } else {
    res.resume();
    if (status === 416) throw new TrustRefusedError(`store has fewer than ${from} bytes for ${target.path} (signed length ${target.length}); refused`);
    // Not tuf-js's StoreHTTPError: nothing here wraps it into a SkiffError. A 5xx is worth another attempt.
    throw new DownloadFailedError(`store answered HTTP ${status} for ${url}`, url, status, status >= 500);
  }
  await writeBody(res, url, partial, target, progress);
  if (partial.size < target.length) {
    throw new DownloadFailedError(`store ended ${url} after ${partial.size} of ${target.length} bytes`, url, status, true);
  }
}

async function restart(partial: Partial): Promise<void> {
  await partial.handle.truncate(0);
  partial.size = 0;
  partial.hash = createHash('sha256');
}

/** Writes chunks at their offset, then hashes them: the hash always covers exactly the bytes on disk. */
async function writeChunks(partial: Partial, chunks: Buffer[], target: SignedFile, progress: Progress): Promise<void> {
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  if (partial.size + bytes > target.length) {
    throw new TrustRefusedError(`store sent more than the ${target.length} bytes signed for ${target.path}; refused`);
  }
  const diskFull = () => new NoSpaceError(
    `disk full while writing ${target.path} after ${partial.size} of ${target.length} bytes (kept, to resume)`, target.length - partial.size, 0);
  let rest = chunks;
  while (rest.length > 0) {
    const { bytesWritten } = await partial.handle.writev(rest, partial.size).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOSPC' ? diskFull() : err;
    });
    rest = account(partial, rest, bytesWritten);
    if (bytesWritten === 0) throw diskFull();
    // A short write (the disk filled up) loops: the next write reports ENOSPC, or finishes the rest.
  }
  progress.update(partial.size);
}

/** Hashes the first `written` bytes of chunks and counts them; returns what is left to write. */
function account(partial: Partial, chunks: Buffer[], written: number): Buffer[] {
  partial.size += written;
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    if (written < chunk.length) {
      partial.hash.update(chunk.subarray(0, written));
      return [chunk.subarray(written), ...chunks.slice(i + 1)];
    }
    partial.hash.update(chunk);
    written -= chunk.length;
  }
  return [];
}

/**
 * Streams a response body into the partial file. The writer batches what arrives while a write is in
 * flight (writev) and lets TCP push back past WRITE_AHEAD_BYTES. Unlike pipeline(), a cut connection
 * still has every byte it delivered written before this settles, so the next attempt resumes from all of it.
 */
async function writeBody(res: IncomingMessage, url: string, partial: Partial, target: SignedFile, progress: Progress): Promise<void> {
  const writer = new Writable({
    highWaterMark: WRITE_AHEAD_BYTES,
    writev: (chunks, done) => {
      writeChunks(partial, chunks.map((c) => c.chunk as Buffer), target, progress).then(() => done(), done);
    },
  });
  const writeFailed = new Promise<{ failure: Error }>((resolve) => writer.once('error', (failure) => resolve({ failure })));
  const bodyEnded = new Promise<{ cut?: Error }>((resolve) => {
    res.once('end', () => resolve({}));
    res.once('error', (cut) => resolve({ cut }));
    res.once('close', () => resolve(res.complete ? {} : { cut: new Error('connection closed early') }));
  });
  res.pipe(writer, { end: false });
  const first = await Promise.race([writeFailed, bodyEnded]);
  // A write failure (disk, refusal) is reported as is; a network failure as a retryable download error.
  if ('failure' in first) {
    res.destroy();
    throw first.failure;
  }
  writer.end();
  await finished(writer);
  if (first.cut) throw asDownloadError(first.cut, url);
}
