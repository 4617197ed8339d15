// Where every block of a squashfs image lies and what it holds (the on-disk format of squashfs 4.0, as the
// kernel reads it): data blocks with the file range each compresses, fragment blocks with the file tails
// they pack, and the metadata blocks (inodes, folders, tables). The store reads this to make a delta whose
// device side copies the blocks it already has and compresses only new ones. Read only by the store.
import { open, type FileHandle } from 'node:fs/promises';
import { DeltaError } from './delta-format';

/** A range of a file in the bundle's tree: what a data block or a part of a fragment block holds. */
export type TreeRange = [path: string, offset: number, length: number];

export interface ImageBlock {
  /** Where its bytes start in the image, and how many there are (a metadata block's 2-byte header included). */
  offset: number;
  length: number;
  kind: 'data' | 'fragment' | 'meta';
  /** Kept as they are, not compressed (mksquashfs does so when compressing does not shrink them). */
  stored: boolean;
  /** data and fragment blocks: the file ranges whose bytes, in order, the block holds uncompressed. */
  ranges?: TreeRange[];
  /** meta blocks: the bytes they hold uncompressed. */
  content?: Buffer;
}

export interface ImageLayout {
  size: number;
  blockSize: number;
  /** The zstd level its blocks were compressed with. */
  level: number;
  /** Every block, by offset; the bytes between them (superblock, table indexes, padding) are not blocks. */
  blocks: ImageBlock[];
}

const SQUASHFS_MAGIC = 0x73717368;
const ZSTD_ID = 6;
/** mksquashfs's zstd level when the image carries no compressor options. */
const ZSTD_DEFAULT_LEVEL = 15;
/** A metadata block's bytes, uncompressed (squashfs 4's fixed size). */
const METADATA_BYTES = 8192;
const NO_FRAGMENT = 0xffffffff;
const FLAG = { compressorOptions: 0x0400, noXattrs: 0x0200, exportable: 0x0080 };
/** Most metadata the store reads from one image (bytes, uncompressed): bounds its memory. */
export const LAYOUT_MAX_METADATA_BYTES = 64 * 1024 * 1024;
/** Deepest folder nesting the store follows in an image (the walk recurses once per level). */
export const LAYOUT_MAX_DEPTH = 4096;

interface Superblock {
  inodes: number; blockSize: number; fragments: number; flags: number; ids: number; root: bigint; bytesUsed: number;
  idTable: number; xattrTable: number; inodeTable: number; dirTable: number; fragmentTable: number; exportTable: number;
}

/** A chain of metadata blocks read whole: its bytes, and where each block's bytes begin in them. */
interface Chain { bytes: Buffer; at: Map<number, number>; blocks: ImageBlock[] }

type Decompress = (frame: Buffer, maxBytes: number) => Buffer;

class Image {
  constructor(private readonly fh: FileHandle, readonly size: number, private readonly decompress: Decompress) {}

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new DeltaError(`squashfs image: a read at ${offset} (${length} bytes) is outside the image`);
    const buf = Buffer.alloc(length);
    for (let got = 0; got < length;) {
      const { bytesRead } = await this.fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) throw new DeltaError('squashfs image: unexpected end');
      got += bytesRead;
    }
    return buf;
  }

  /** The metadata blocks from `start` up to `end`, read and decompressed. */
  async chain(start: number, end: number, total: { bytes: number }): Promise<Chain> {
    const parts: Buffer[] = [];
    const at = new Map<number, number>();
    const blocks: ImageBlock[] = [];
    let used = 0;
    for (let pos = start; pos < end;) {
      const header = (await this.read(pos, 2)).readUInt16LE(0);
      const length = header & 0x7fff;
      const stored = (header & 0x8000) !== 0;
      const raw = await this.read(pos + 2, length);
      const content = stored ? raw : this.decompress(raw, METADATA_BYTES);
      if ((total.bytes += content.length) > LAYOUT_MAX_METADATA_BYTES) throw new DeltaError('squashfs image: too much metadata');
      at.set(pos - start, used);
      blocks.push({ offset: pos, length: 2 + length, kind: 'meta', stored, content });
      parts.push(content);
      used += content.length;
      pos += 2 + length;
      if (pos > end) throw new DeltaError('squashfs image: a metadata block runs past its table');
    }
    return { bytes: Buffer.concat(parts), at, blocks };
  }
}

function superblock(b: Buffer): Superblock {
  if (b.readUInt32LE(0) !== SQUASHFS_MAGIC || b.readUInt16LE(28) !== 4) throw new DeltaError('not a squashfs 4 image');
  if (b.readUInt16LE(20) !== ZSTD_ID) throw new DeltaError('squashfs image is not compressed with zstd');
  const n = (at: number) => Number(b.readBigUInt64LE(at));
  return {
    inodes: b.readUInt32LE(4), blockSize: b.readUInt32LE(12), fragments: b.readUInt32LE(16), flags: b.readUInt16LE(24),
    ids: b.readUInt16LE(26), root: b.readBigUInt64LE(32), bytesUsed: n(40), idTable: n(48), xattrTable: n(56),
    inodeTable: n(64), dirTable: n(72), fragmentTable: n(80), exportTable: n(88),
  };
}

/** Reads the layout of the squashfs image in `file`; throws DeltaError on anything it does not expect. */
export async function readImageLayout(file: string, decompress: Decompress): Promise<ImageLayout> {
  const fh = await open(file, 'r');
  try {
    const img = new Image(fh, (await fh.stat()).size, decompress);
    const sb = superblock(await img.read(0, 96));
    if (!(sb.flags & FLAG.noXattrs) && sb.xattrTable !== -1 && sb.xattrTable !== Number(0xffffffffffffffffn)) throw new DeltaError('squashfs image has extended attributes');
    const total = { bytes: 0 };
    let level = ZSTD_DEFAULT_LEVEL;
    const blocks: ImageBlock[] = [];
    if (sb.flags & FLAG.compressorOptions) {
      const opts = await img.chain(96, 96 + 2 + ((await img.read(96, 2)).readUInt16LE(0) & 0x7fff), total);
      level = opts.bytes.readUInt32LE(0);
      blocks.push(...opts.blocks);
    }
    const inodes = await img.chain(sb.inodeTable, sb.dirTable, total);
    // The folder table ends where the next table's blocks begin: the first of the tables after it.
    const indexes = tableIndexes(sb);
    const dirEnd = Math.min(...(await metadataStarts(img, sb, indexes)));
    const dirs = await img.chain(sb.dirTable, dirEnd, total);
    blocks.push(...inodes.blocks, ...dirs.blocks);
    // The tables after the folders (fragments, export, ids): metadata blocks, each followed by its index.
    let pos = dirEnd;
    for (const [start, length] of indexes) {
      blocks.push(...(await img.chain(pos, start, total)).blocks);
      pos = start + length;
    }
    if (pos !== sb.bytesUsed) throw new DeltaError('squashfs image: its tables do not end where the image does');
    const fragments = await fragmentTable(img, sb, indexes);
    blocks.push(...fileBlocks(sb, inodes, dirs, fragments));
    blocks.sort((x, y) => x.offset - y.offset);
    return { size: img.size, blockSize: sb.blockSize, level, blocks: dedupe(blocks) };
  } finally {
    await fh.close();
  }
}

/** The raw index of each table after the folder table: [offset, length], in image order. */
function tableIndexes(sb: Superblock): [number, number][] {
  const list: [number, number][] = [];
  const per = (entries: number, bytes: number) => Math.ceil((entries * bytes) / METADATA_BYTES) * 8;
  if (sb.fragments > 0) list.push([sb.fragmentTable, per(sb.fragments, 16)]);
  if (sb.flags & FLAG.exportable) list.push([sb.exportTable, per(sb.inodes, 8)]);
  list.push([sb.idTable, per(sb.ids, 4)]);
  return list.sort((a, b) => a[0] - b[0]);
}

/** Where each later table's first metadata block is (the first pointer of its index). */
async function metadataStarts(img: Image, sb: Superblock, indexes: [number, number][]): Promise<number[]> {
  const starts: number[] = [];
  for (const [start] of indexes) starts.push(Number((await img.read(start, 8)).readBigUInt64LE(0)));
  return starts.length ? starts : [sb.bytesUsed];
}

interface Fragment { offset: number; length: number; stored: boolean; tails: TreeRange[] }

async function fragmentTable(img: Image, sb: Superblock, indexes: [number, number][]): Promise<Fragment[]> {
  if (sb.fragments === 0) return [];
  const length = indexes.find(([s]) => s === sb.fragmentTable)![1];
  const index = await img.read(sb.fragmentTable, length);
  const parts: Buffer[] = [];
  for (let i = 0; i < length; i += 8) {
    const at = Number(index.readBigUInt64LE(i));
    parts.push((await img.chain(at, at + 2 + ((await img.read(at, 2)).readUInt16LE(0) & 0x7fff), { bytes: 0 })).bytes);
  }
  const table = Buffer.concat(parts);
  const out: Fragment[] = [];
  for (let i = 0; i < sb.fragments; i++) {
    const size = table.readUInt32LE(i * 16 + 8);
    out.push({ offset: Number(table.readBigUInt64LE(i * 16)), length: size & 0xffffff, stored: (size & 0x1000000) !== 0, tails: [] });
  }
  return out;
}

/** Walks the folders from the root, and lists each regular file's data blocks and its tail's fragment. */
function fileBlocks(sb: Superblock, inodes: Chain, dirs: Chain, fragments: Fragment[]): ImageBlock[] {
  const blocks: ImageBlock[] = [];
  const inodeAt = (ref: bigint): number => {
    const base = inodes.at.get(Number(ref >> 16n));
    if (base === undefined) throw new DeltaError('squashfs image: an inode reference points nowhere');
    return base + Number(ref & 0xffffn);
  };
  const tailsAt = fragments.map(() => new Map<number, TreeRange>());
  const folders = new Set<bigint>();
  const visit = (ref: bigint, path: string, depth: number): void => {
    if (depth > LAYOUT_MAX_DEPTH) throw new DeltaError('squashfs image: folders nest too deep');
    const b = inodes.bytes;
    const at = inodeAt(ref);
    const type = b.readUInt16LE(at);
    if (type === 1 || type === 8) {
      // A folder listed twice (a loop, or a hard-linked folder) would be walked without end.
      if (folders.has(ref)) throw new DeltaError('squashfs image: a folder is listed twice');
      folders.add(ref);
      const [start, size, offset] = type === 1
        ? [b.readUInt32LE(at + 16), b.readUInt16LE(at + 24), b.readUInt16LE(at + 26)]
        : [b.readUInt32LE(at + 24), b.readUInt32LE(at + 20), b.readUInt16LE(at + 34)];
      for (const [name, child] of listing(dirs, start, offset, size)) visit(child, path ? `${path}/${name}` : name, depth + 1);
    } else if (type === 2 || type === 9) {
      const [start, fileSize, fragment, fragOffset, listAt] = type === 2
        ? [b.readUInt32LE(at + 16), b.readUInt32LE(at + 28), b.readUInt32LE(at + 20), b.readUInt32LE(at + 24), at + 32]
        : [Number(b.readBigUInt64LE(at + 16)), Number(b.readBigUInt64LE(at + 24)), b.readUInt32LE(at + 44), b.readUInt32LE(at + 48), at + 56];
      const whole = fragment === NO_FRAGMENT ? Math.ceil(fileSize / sb.blockSize) : Math.floor(fileSize / sb.blockSize);
      let pos = start;
      for (let i = 0; i < whole; i++) {
        const size = b.readUInt32LE(listAt + i * 4);
        const length = size & 0xffffff;
        const from = i * sb.blockSize;
        if (length > 0) blocks.push({ offset: pos, length, kind: 'data', stored: (size & 0x1000000) !== 0, ranges: [[path, from, Math.min(sb.blockSize, fileSize - from)]] });
        pos += length;
      }
      if (fragment !== NO_FRAGMENT) {
        if (!tailsAt[fragment]) throw new DeltaError('squashfs image: a file names a fragment that does not exist');
        tailsAt[fragment]!.set(fragOffset, [path, whole * sb.blockSize, fileSize - whole * sb.blockSize]);
      }
    }
    // Symlinks and other types hold no blocks.
  };
  visit(sb.root, '', 0);
  fragments.forEach((f, i) => {
    const ranges = [...tailsAt[i]!.entries()].sort((x, y) => x[0] - y[0]).map(([, r]) => r);
    blocks.push({ offset: f.offset, length: f.length, kind: 'fragment', stored: f.stored, ranges });
  });
  return blocks;
}

/** The entries of one folder: [name, inode reference]. */
function listing(dirs: Chain, start: number, offset: number, size: number): [string, bigint][] {
  const base = dirs.at.get(start);
  if (base === undefined) throw new DeltaError('squashfs image: a folder points nowhere');
  const b = dirs.bytes;
  const end = base + offset + size - 3; // a folder's size counts 3 bytes more than its listing
  const out: [string, bigint][] = [];
  for (let pos = base + offset; pos < end;) {
    const count = b.readUInt32LE(pos) + 1;
    const inodeBlock = BigInt(b.readUInt32LE(pos + 4));
    pos += 12;
    for (let i = 0; i < count; i++) {
      const entryOffset = b.readUInt16LE(pos);
      const nameSize = b.readUInt16LE(pos + 6) + 1;
      out.push([b.toString('utf8', pos + 8, pos + 8 + nameSize), (inodeBlock << 16n) | BigInt(entryOffset)]);
      pos += 8 + nameSize;
    }
  }
  return out;
}

/** Duplicate files share blocks: each block is listed once, by its first file. */
function dedupe(blocks: ImageBlock[]): ImageBlock[] {
  const out: ImageBlock[] = [];
  for (const b of blocks) {
    const last = out[out.length - 1];
    if (last && last.offset === b.offset) continue;
    if (last && b.offset < last.offset + last.length) throw new DeltaError('squashfs image: two blocks overlap');
    out.push(b);
  }
  return out;
}
