import { chmod, lstat, mkdir, open, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DELTA_LIMITS, DELTA_MAGIC, DeltaError, parseDeltaHeader, type DeltaHeader } from './delta-format';
import { buildImage, safePathSync } from './delta-image';
import { runZstd } from './delta-zstd';

/** Reads exact byte counts from a stream of chunks, holding at most one chunk beyond what was asked. */
class ChunkReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  /** The stream ended: whoever feeds it has finished (or failed). */
  ended = false;
  constructor(stream: AsyncIterable<Buffer>) { this.it = stream[Symbol.asyncIterator](); }

  private async fill(): Promise<boolean> {
    const next = await this.it.next();
    if (next.done) { this.ended = true; return false; }
    this.buf = this.buf.length ? Buffer.concat([this.buf, next.value]) : next.value;
    return true;
  }

  /** Up to `max` bytes (at least one), or null at the end. */
  async some(max: number): Promise<Buffer | null> {
    if (this.buf.length === 0 && !(await this.fill())) return null;
    const out = this.buf.subarray(0, max);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  async exact(n: number, what: string): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.fill())) throw new DeltaError(`delta ends inside ${what}`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async line(max: number, what: string): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0) return (await this.exact(nl + 1, what)).toString('latin1');
      if (this.buf.length > max || !(await this.fill())) throw new DeltaError(`delta has no ${what}`);
    }
  }
}

/** libzstd through the native addon (the bundle package has no native code of its own). */
export interface DeltaZstd {
  /** One block compressed as mksquashfs does. */
  compress(block: Buffer, level: number): Promise<Buffer>;
  /** A frame made with `zstd --patch-from=old`, applied; throws unless it gives exactly `size` bytes. */
  patch(frame: Buffer, old: Buffer, size: number): Buffer;
}

export interface ApplyDeltaOptions {
  timeoutMs: number;
  /** The old bundle, and the file the new one is written to. */
  sourceBundle: string;
  out: string;
  zstd: DeltaZstd;
}

/**
 * Applies a delta to the tree `dir` (on a device, an overlay over the source revision's mount), reading
 * it through `zstd -d`. Every path is checked, and no link in the tree is followed on the way to it.
 * Then writes the new bundle to `opts.out` from the old one's blocks and the tree's files. Returns the
 * header, whose target length and sha256 the caller checks the new bundle against.
 */
export async function applyDelta(deltaFile: string, dir: string, opts: ApplyDeltaOptions): Promise<DeltaHeader> {
  const zstd = runZstd(['-d', '-c', `--memory=${DELTA_LIMITS.decompressMaxBytes / (1024 * 1024)}MB`, deltaFile], { timeoutMs: opts.timeoutMs });
  const r = new ChunkReader(zstd.stdout as AsyncIterable<Buffer>);
  try {
    if ((await r.line(DELTA_MAGIC.length, 'magic line')) !== DELTA_MAGIC) throw new DeltaError(`${deltaFile} is not a Skiff delta`);
    const length = Number((await r.line(20, 'header length')).trim());
    if (!Number.isSafeInteger(length) || length < 2 || length > DELTA_LIMITS.headerMaxBytes) throw new DeltaError(`delta header length refused: ${length}`);
    const header = parseDeltaHeader(await r.exact(length, 'its header'));
    for (const o of header.ops) {
      const path = safePathSync(dir, o.path);
      if (o.op === 'remove') await rm(path, { recursive: true, force: true });
      else if (o.op === 'mode') await chmod(path, o.mode);
      else if (o.op === 'dir') { await mkdir(path, { mode: o.mode }); await chmod(path, o.mode); }
      else if (o.op === 'symlink') { await rm(path, { force: true }); await symlink(o.target, path); }
      else if (o.op === 'patch') await patchFile(path, o.mode, o.size, o.bytes, r, opts.zstd);
      else await writeFromDelta(path, o.mode, o.size, r);
    }
    await buildImage(header.image, r, { sourceBundle: opts.sourceBundle, out: opts.out, tree: dir, compress: opts.zstd.compress });
    if (await r.some(1)) throw new DeltaError('delta has bytes after its image part');
    await zstd.done;
    return header;
  } catch (err) {
    // A stream cut short is explained by zstd's own failure (a damaged frame), when it failed.
    if (!r.ended) zstd.kill();
    const exit = await zstd.done.then(() => undefined, (e: Error) => e);
    throw r.ended && exit ? new DeltaError(`${deltaFile} does not decompress: ${exit.message}`) : err;
  }
}

async function writeFromDelta(path: string, mode: number, size: number, r: ChunkReader): Promise<void> {
  await rm(path, { force: true });
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    let left = size;
    while (left > 0) {
      const chunk = await r.some(left);
      if (!chunk) throw new DeltaError(`delta ends inside ${path}`);
      for (let off = 0; off < chunk.length;) off += (await handle.write(chunk, off)).bytesWritten;
      left -= chunk.length;
    }
    await handle.chmod(mode); // the umask narrowed the mode given to open
  } finally {
    await handle.close();
  }
}

/** Rebuilds a file from its old version (a regular file, never a link) and a zstd patch, then renames it over. */
async function patchFile(path: string, mode: number, size: number, bytes: number, r: ChunkReader, zstd: DeltaZstd): Promise<void> {
  const old = await lstat(path).catch(() => undefined);
  if (!old?.isFile() || old.size > DELTA_LIMITS.patchMaxFileBytes) throw new DeltaError(`delta patches ${path}, which is not a regular file of at most 16 MiB in the source`);
  const frame = await r.exact(bytes, `the patch of ${path}`);
  let made: Buffer;
  try {
    made = zstd.patch(frame, await readFile(path), size);
  } catch (err) {
    throw new DeltaError(`the patch of ${path} does not apply: ${(err as Error).message}`);
  }
  const tmp = join(dirname(path), `.${basename(path)}.skiff-patch`);
  await rm(tmp, { force: true });
  await writeFile(tmp, made, { mode, flag: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
