import { lstat, mkdir, open, mkdtemp, readFile, rm, readlink, writeFile, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { hashFile } from './digest';
import { applyDelta, type DeltaZstd } from './delta-apply';
import { DELTA_LIMITS, DELTA_MAGIC, DeltaError, type DeltaHeader, type DeltaImage, type ImageSource, type DeltaOp } from './delta-format';
import { makeDeltaImage } from './delta-image-make';
import { runZstd } from './delta-zstd';
import { runTool } from './tools';
import { listTree } from './tree';
import type { FileDigest } from './types';

export interface MakeDeltaOptions {
  /** A folder for the two extracted trees (they need the uncompressed size of both bundles). */
  workDir: string;
  /** zstd level of the delta (19: the delta is made once and downloaded by many). */
  level: number;
  /** How long extracting and compressing may take in all (milliseconds). */
  timeoutMs: number;
  /** unsquashfs's data and fragment queues (MiB each): what bounds its memory. */
  queueMiB?: number;
  /** libzstd through the native addon: what a device uses, reading the images' metadata blocks, making patches. */
  zstd: DeltaZstd & { decompress: (frame: Buffer, maxBytes: number) => Buffer; makePatch: (old: Buffer, next: Buffer, level: number) => Buffer };
}

export interface DeltaStats {
  size: number; sha256: string; changedFiles: number; changedBytes: number; removed: number; ops: number;
  /** The image part: bytes copied from the old bundle, blocks the device compresses, bytes carried in the delta (before its zstd). */
  image: { copiedBytes: number; compressedBlocks: number; carriedBytes: number };
}

const COMPARE_CHUNK_BYTES = 1024 * 1024;
/**
 * zstd's chain and hash tables capped (as for patches, in zstdMakePatch): at -19 its peak RSS goes from 187 to
 * 118 MB on a 100 MB stream, for 4% more bytes (bench/RESULTS.md); the window stays what a device reads.
 */
const ZSTD_TABLES = '--zstd=clog=21,hlog=20';

/**
 * Writes the delta that turns bundle `source` into bundle `target` to `out`: both are extracted with
 * unsquashfs, compared entry by entry; every new or changed file is carried whole, or as a patch when small;
 * the image part says which of the target's blocks the source has. Throws DeltaError when the delta would
 * not rebuild the target exactly.
 */
export async function makeDelta(source: string, target: string, out: string, opts: MakeDeltaOptions): Promise<DeltaStats> {
  const deadline = Date.now() + opts.timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const work = await mkdtemp(join(opts.workDir, 'delta-'));
  try {
    const [a, b] = [join(work, 'a'), join(work, 'b')];
    const [srcDigest, dstDigest] = await Promise.all([hashFile(source), hashFile(target)]);
    const queues = opts.queueMiB ? ['-da', String(opts.queueMiB), '-fr', String(opts.queueMiB)] : [];
    const extract = (file: string, dir: string) => runTool('unsquashfs', ['-no-xattrs', '-quiet', '-no-progress', ...queues, '-d', dir, file], { timeoutMs: left() });
    await extract(source, a);
    await extract(target, b);
    const all = await patchSmallEdits(a, b, await diffTrees(a, b), join(work, 'patches'), opts.level, opts.zstd.makePatch);
    // A changed file too large to patch is not written to the tree: only its new blocks travel, in the image part.
    const paths = new Set(all.filter((o) => o.op === 'file' && o.size > DELTA_LIMITS.patchMaxFileBytes).map((o) => o.path));
    const ops = all.filter((o) => !paths.has(o.path) || o.op !== 'file');
    const { image, payload } = await makeDeltaImage(source, target, opts.zstd.decompress, { tree: b, paths });
    const stats = await writeDelta(b, join(work, 'patches'), { source: srcDigest, target: dstDigest, ops, image }, payload, out, opts.level, left());
    // Kept only once the device's own steps, run here on the old tree, give the target bundle byte for byte
    // (a bundle packed by another zstd than this store's would not).
    const check = join(work, 'check.skiff');
    await applyDelta(out, a, { timeoutMs: left(), sourceBundle: source, out: check, zstd: opts.zstd });
    const got = await hashFile(check);
    if (got.sha256 !== dstDigest.sha256 || got.size !== dstDigest.size) throw new DeltaError('the delta does not rebuild the target bundle (was it packed with another zstd?)');
    return { ...stats, image: imageStats(image) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The operations that turn tree a into tree b: removals first, then creations in path order (parents first). */
export async function diffTrees(a: string, b: string): Promise<DeltaOp[]> {
  const before = new Map((await listTree(a)).map((e) => [e.path, e]));
  const after = await listTree(b);
  const afterPaths = new Set(after.map((e) => e.path));
  const removes: DeltaOp[] = [];
  for (const path of before.keys()) {
    if (afterPaths.has(path)) continue;
    const slash = path.lastIndexOf('/');
    // Only the top of a removed subtree is named: removing it removes the rest.
    if (slash > 0 && !afterPaths.has(path.slice(0, slash))) continue;
    removes.push({ op: 'remove', path });
  }
  const ops: DeltaOp[] = [];
  for (const e of after) {
    const old = before.get(e.path);
    if (old && old.type !== e.type) removes.push({ op: 'remove', path: e.path });
    const same = old?.type === e.type;
    if (e.type === 'dir') {
      if (!same) ops.push({ op: 'dir', path: e.path, mode: e.mode });
      else if (old.mode !== e.mode) ops.push({ op: 'mode', path: e.path, mode: e.mode });
    } else if (e.type === 'symlink') {
      if (!same || old.linkTarget !== e.linkTarget) {
        if (same) removes.push({ op: 'remove', path: e.path });
        ops.push({ op: 'symlink', path: e.path, target: e.linkTarget ?? await readlink(join(b, e.path)) });
      }
    } else if (e.type === 'file') {
      if (!same || !(await sameBytes(join(a, e.path), join(b, e.path), old.size, e.size))) ops.push({ op: 'file', path: e.path, mode: e.mode, size: e.size });
      else if (old.mode !== e.mode) ops.push({ op: 'mode', path: e.path, mode: e.mode });
    }
    // Other types never reach a bundle (rules.ts refuses them at pack and upload).
  }
  return [...removes, ...ops];
}

function imageStats(image: DeltaImage): DeltaStats['image'] {
  const s = { copiedBytes: 0, compressedBlocks: 0, carriedBytes: 0 };
  const carried = (sources: ImageSource[]) => sources.reduce((n, src) => n + (src.length === 1 ? src[0] : 0), 0);
  for (const p of image.pieces) {
    if (p[0] === 'copy') s.copiedBytes += p[2];
    else if (p[0] === 'bytes') s.carriedBytes += p[1];
    else if (p[0] === 'zstd') { s.compressedBlocks++; s.carriedBytes += carried(p[2]); }
    else s.carriedBytes += carried(p[1]);
  }
  return s;
}

async function sameBytes(a: string, b: string, sizeA: number, sizeB: number): Promise<boolean> {
  if (sizeA !== sizeB) return false;
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const [ba, bb] = [Buffer.alloc(COMPARE_CHUNK_BYTES), Buffer.alloc(COMPARE_CHUNK_BYTES)];
    for (let pos = 0; pos < sizeA; pos += COMPARE_CHUNK_BYTES) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, COMPARE_CHUNK_BYTES, pos), fb.read(bb, 0, COMPARE_CHUNK_BYTES, pos)]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/**
 * A changed file whose new version is a small edit of the old one is sent as a zstd patch against it
 * (as --patch-from makes it, in-process): kept when it is under a quarter of the file, else the whole file is sent.
 */
async function patchSmallEdits(a: string, b: string, ops: DeltaOp[], dir: string, level: number, makePatch: MakeDeltaOptions['zstd']['makePatch']): Promise<DeltaOp[]> {
  await mkdir(dir, { recursive: true });
  const out: DeltaOp[] = [];
  for (const [i, o] of ops.entries()) {
    const old = o.op === 'file' ? await lstat(join(a, o.path)).catch(() => undefined) : undefined;
    if (o.op !== 'file' || !old?.isFile() || old.size > DELTA_LIMITS.patchMaxFileBytes || o.size > DELTA_LIMITS.patchMaxFileBytes || o.size < 64) {
      out.push(o);
      continue;
    }
    const patch = makePatch(await readFile(join(a, o.path)), await readFile(join(b, o.path)), level);
    await writeFile(join(dir, String(i)), patch);
    const bytes = patch.length;
    out.push(bytes * 4 < o.size ? { op: 'patch', path: o.path, mode: o.mode, size: o.size, bytes } : o);
  }
  return out;
}

/** Streams magic, header, the new files' bytes (or patches) and the image part's bytes through zstd into `out`. */
async function writeDelta(tree: string, patches: string, header: DeltaHeader, image: Buffer[], out: string, level: number, timeoutMs: number): Promise<Omit<DeltaStats, 'image'>> {
  const outFile = await open(out, 'w', 0o644);
  let zstd;
  try {
    zstd = runZstd([`-${level}`, '-T1', ZSTD_TABLES, '-c'], { timeoutMs, stdout: outFile.fd });
    const write = async (chunk: Buffer) => { if (!zstd!.stdin.write(chunk)) await once(zstd!.stdin, 'drain'); };
    const json = Buffer.from(JSON.stringify(header));
    await write(Buffer.from(`${DELTA_MAGIC}${json.length}\n`));
    await write(json);
    let changedBytes = 0;
    for (const [i, o] of header.ops.entries()) {
      if (o.op === 'file') await copyInto(join(tree, o.path), o.size, write);
      else if (o.op === 'patch') await copyInto(join(patches, String(i)), o.bytes, write);
      else continue;
      changedBytes += o.size;
    }
    for (const chunk of image) await write(chunk);
    zstd.stdin.end();
    await zstd.done;
    await outFile.sync();
    const digest: FileDigest = await hashFile(out);
    return {
      ...digest, changedBytes, ops: header.ops.length,
      changedFiles: header.ops.filter((o) => o.op === 'file' || o.op === 'patch').length,
      removed: header.ops.filter((o) => o.op === 'remove').length,
    };
  } catch (err) {
    zstd?.kill();
    throw err;
  } finally {
    await outFile.close();
  }
}

async function copyInto(file: string, size: number, write: (b: Buffer) => Promise<void>): Promise<void> {
  const handle: FileHandle = await open(file, 'r');
  try {
    let sent = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: COMPARE_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
      sent += chunk.length;
      await write(chunk);
    }
    if (sent !== size) throw new Error(`${file} changed while the delta was written`);
  } finally {
    await handle.close();
  }
}

