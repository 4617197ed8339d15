// The image part of a delta (docs/deltas.md): how a device writes the new bundle's bytes without re-packing
// its tree. Each piece appends bytes to the new image: copied from the old bundle (blocks it already has),
// taken from the delta, or a block compressed from files of the rebuilt tree (only blocks that are new).
import { closeSync, constants, lstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DeltaError, IMAGE_LIMITS, type DeltaImage, type ImageSource } from './delta-format';

/** Reads the delta's next bytes (the stream after the file operations). */
export interface PayloadReader { exact(n: number, what: string): Promise<Buffer> }

export interface BuildImageOptions {
  /** The old bundle, the tree rebuilt by the file operations, and the file the new bundle is written to. */
  sourceBundle: string;
  tree: string;
  out: string;
  /** Compresses one block as mksquashfs does (native zstdCompressBlock). */
  compress: (block: Buffer, level: number) => Promise<Buffer>;
}

type Pending = { copy: [number, number] } | { bytes: Promise<Buffer> };

/** Writes the new image piece by piece; blocks are compressed side by side, written in order. */
export async function buildImage(image: DeltaImage, payload: PayloadReader, opts: BuildImageOptions): Promise<void> {
  const [source, out] = [await open(opts.sourceBundle, 'r'), await open(opts.out, 'wx', 0o600)];
  const pending: Pending[] = [];
  let written = 0;
  const write = async (buf: Buffer) => {
    for (let off = 0; off < buf.length;) off += (await out.write(buf, off, buf.length - off, written + off)).bytesWritten;
    written += buf.length;
  };
  const flush = async (keep: number) => {
    while (pending.length > keep) {
      const head = pending.shift()!;
      if ('bytes' in head) await write(await head.bytes);
      else await copyRange(source, head.copy[0], head.copy[1], write);
    }
  };
  try {
    for (const piece of image.pieces) {
      if (piece[0] === 'copy') pending.push({ copy: [piece[1], piece[2]] });
      else if (piece[0] === 'bytes') pending.push({ bytes: Promise.resolve(await payload.exact(piece[1], 'the image')) });
      else {
        const block = await gather(piece[0] === 'raw' ? piece[1] : piece[2], payload, opts.tree);
        const expect = piece[0] === 'zstd' ? piece[1] : block.length;
        const made = piece[0] === 'raw' ? Promise.resolve(block) : opts.compress(block, image.level);
        const checked = made.then((b) => lengthChecked(b, expect));
        // Awaited later, in order: a rejection meanwhile is not an unhandled one.
        checked.catch(() => undefined);
        pending.push({ bytes: checked });
      }
      await flush(IMAGE_LIMITS.parallelBlocks);
    }
    await flush(0);
    await out.sync();
  } finally {
    await Promise.allSettled(pending.map((p) => ('bytes' in p ? p.bytes : undefined)));
    await Promise.all([source.close(), out.close()]);
  }
}

function lengthChecked(b: Buffer, expect: number): Buffer {
  if (b.length !== expect) throw new DeltaError(`a recompressed block is ${b.length} bytes, the new bundle's is ${expect}: this zstd differs from the publisher's`);
  return b;
}

async function copyRange(fh: FileHandle, from: number, length: number, write: (b: Buffer) => Promise<void>): Promise<void> {
  for (let done = 0; done < length;) {
    const n = Math.min(IMAGE_LIMITS.copyChunkBytes, length - done);
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, from + done);
    if (bytesRead !== n) throw new DeltaError('the old bundle is shorter than the delta expects');
    await write(buf);
    done += n;
  }
}

/**
 * One block's uncompressed bytes: ranges of the rebuilt tree's files (no link followed) and bytes of the delta.
 * Files are read synchronously: libuv's threads are busy compressing, and a block's files are small.
 */
async function gather(sources: ImageSource[], payload: PayloadReader, tree: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const s of sources) {
    if (s.length === 1) { parts.push(await payload.exact(s[0], 'the image')); continue; }
    const [path, offset, length] = s;
    const fd = openSync(safePathSync(tree, path), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(length);
      if (readSync(fd, buf, 0, length, offset) !== length) throw new DeltaError(`delta image: ${path} is shorter than the delta expects`);
      parts.push(buf);
    } finally {
      closeSync(fd);
    }
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** dir/path, once every folder on the way is checked to be a real folder (not a link). */
export function safePathSync(dir: string, path: string): string {
  const parts = path.split('/');
  let at = dir;
  for (const part of parts.slice(0, -1)) {
    at = join(at, part);
    if (!lstatSync(at, { throwIfNoEntry: false })?.isDirectory()) throw new DeltaError(`delta path ${path}: ${at.slice(dir.length + 1)} is not a folder in the source`);
  }
  return join(at, parts[parts.length - 1]!);
}
