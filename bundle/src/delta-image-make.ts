// The store's side of a delta's image part: which of the new bundle's blocks the old bundle already holds
// (copied on the device), which are new (compressed on the device from the rebuilt tree's files), and the
// rest (superblock, table indexes, padding, new metadata) carried in the delta.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGE_LIMITS, type DeltaImage, type ImagePiece, type ImageSource } from './delta-format';
import { readImageLayout, type ImageLayout } from './squashfs-layout';

type Decompress = (frame: Buffer, maxBytes: number) => Buffer;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('base64');

async function blockIndex(file: string, layout: ImageLayout): Promise<Map<string, number>> {
  const fh = await open(file, 'r');
  try {
    const index = new Map<string, number>();
    for (const b of layout.blocks) {
      const key = sha(await readAt(fh, b.offset, b.length));
      if (!index.has(key)) index.set(key, b.offset);
    }
    return index;
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new Error('squashfs image: unexpected end');
  return buf;
}

async function readRange(file: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    return await readAt(fh, offset, length);
  } finally {
    await fh.close();
  }
}

/**
 * The image part turning bundle `source` into bundle `target`, and the bytes it takes from the delta, in order.
 * A new block holding part of a `carried` file (one the file operations do not write: too large to patch)
 * takes that part from the delta instead of the tree; `tree` is the target's extracted tree.
 */
export async function makeDeltaImage(source: string, target: string, decompress: Decompress, carried: { tree: string; paths: Set<string> }): Promise<{ image: DeltaImage; payload: Buffer[] }> {
  const [a, b] = [await readImageLayout(source, decompress), await readImageLayout(target, decompress)];
  const have = await blockIndex(source, a);
  const pieces: ImagePiece[] = [];
  const payload: Buffer[] = [];
  const push = (p: ImagePiece) => {
    const last = pieces[pieces.length - 1];
    if (p[0] === 'copy' && last?.[0] === 'copy' && last[1] + last[2] === p[1]) last[2] += p[2];
    else if (p[0] === 'bytes' && last?.[0] === 'bytes' && last[1] + p[1] <= IMAGE_LIMITS.bytesPieceMax) last[1] += p[1];
    else pieces.push(p);
  };
  const bytes = (buf: Buffer) => {
    for (let at = 0; at < buf.length; at += IMAGE_LIMITS.bytesPieceMax) {
      const part = buf.subarray(at, at + IMAGE_LIMITS.bytesPieceMax);
      payload.push(part);
      push(['bytes', part.length]);
    }
  };
  const fh = await open(target, 'r');
  try {
    let pos = 0;
    for (const block of b.blocks) {
      if (block.offset > pos) bytes(await readAt(fh, pos, block.offset - pos));
      const onDisk = await readAt(fh, block.offset, block.length);
      const from = have.get(sha(onDisk));
      if (from !== undefined) push(['copy', from, block.length]);
      else if (block.kind === 'meta') {
        // A new metadata block: its 2-byte header, then its bytes compressed on the device (or kept as they are).
        if (block.stored) bytes(onDisk);
        else {
          bytes(onDisk.subarray(0, 2));
          payload.push(block.content!);
          push(['zstd', block.length - 2, [[block.content!.length]]]);
        }
      } else {
        const sources: ImageSource[] = [];
        for (const r of block.ranges!) {
          if (!carried.paths.has(r[0])) { sources.push(r); continue; }
          payload.push(await readRange(join(carried.tree, r[0]), r[1], r[2]));
          sources.push([r[2]]);
        }
        push(block.stored ? ['raw', sources] : ['zstd', block.length, sources]);
      }
      pos = block.offset + block.length;
    }
    if (b.size > pos) bytes(await readAt(fh, pos, b.size - pos));
  } finally {
    await fh.close();
  }
  return { image: { level: b.level, blockSize: b.blockSize, pieces }, payload };
}
