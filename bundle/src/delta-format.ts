// The delta format (docs/deltas.md): what a device needs to turn revision A's bundle into revision B's.
// A zstd stream holding a magic line, the header's length, the header (JSON), then the bytes of every
// 'file' operation, in order, then the bytes the image part takes. The device applies the operations to A's
// tree, then writes B's image from A's blocks and new blocks compressed from the tree.
import { SkiffError } from './errors';

// 2: the image part is required (a device before it re-packed the tree; each refuses the other's deltas and downloads the bundle).
export const DELTA_MAGIC = 'SKIFF-DELTA 2\n';

/** Limits a device applies to a delta before trusting its shape (the TUF hashes already vouch for its bytes). */
export const DELTA_LIMITS = {
  /** Largest header (bytes): the operation list of a 200,000-entry bundle fits well within it. */
  headerMaxBytes: 64 * 1024 * 1024,
  /** Longest path inside a bundle (bytes), the kernel's PATH_MAX. */
  pathMaxBytes: 4096,
  /** Memory zstd may use to decompress (bytes): -19 frames need an 8 MiB window. */
  decompressMaxBytes: 32 * 1024 * 1024,
  /** A changed file is sent as a patch against its old version only when both are at most this long (bytes). */
  patchMaxFileBytes: 16 * 1024 * 1024,
} as const;

/** One operation on the source tree; paths are relative, '/'-separated, never '.' or '..'. */
export type DeltaOp =
  | { op: 'remove'; path: string }
  | { op: 'dir'; path: string; mode: number }
  | { op: 'file'; path: string; mode: number; size: number }
  /** The next `bytes` of the payload are a zstd frame made with --patch-from the old file at `path`. */
  | { op: 'patch'; path: string; mode: number; size: number; bytes: number }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'mode'; path: string; mode: number };

export interface DeltaHeader {
  /** The bundles the delta joins: the device checks the rebuilt one against the signed length and sha256. */
  source: { size: number; sha256: string };
  target: { size: number; sha256: string };
  ops: DeltaOp[];
  /** How to write the new bundle from the old one and the rebuilt tree. */
  image: DeltaImage;
}

/** A delta that cannot be read or applied (malformed, unsafe path, tool failure): the device falls back to the full bundle. */
export class DeltaError extends SkiffError {
  constructor(message: string) {
    super('delta-invalid', message);
  }
}

/** Refuses a path that could leave the tree it is applied to. */
export function checkDeltaPath(path: unknown): string {
  if (typeof path !== 'string' || path === '' || Buffer.byteLength(path) > DELTA_LIMITS.pathMaxBytes || path.includes('\0')) {
    throw new DeltaError(`delta path refused: ${JSON.stringify(path)}`);
  }
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') throw new DeltaError(`delta path refused: ${JSON.stringify(path)}`);
  }
  return path;
}

const isMode = (m: unknown): m is number => Number.isInteger(m) && (m as number) >= 0 && (m as number) <= 0o1777; // setuid and setgid never reach a bundle
const isDigest = (d: unknown): boolean => {
  const o = d as { size?: unknown; sha256?: unknown } | null;
  return typeof o === 'object' && o !== null && Number.isSafeInteger(o.size) && typeof o.sha256 === 'string' && /^[0-9a-f]{64}$/.test(o.sha256);
};

/** Parses and checks a header; every field a device acts on is checked here, once. */
export function parseDeltaHeader(bytes: Buffer): DeltaHeader {
  let json: unknown;
  try { json = JSON.parse(bytes.toString('utf8')); } catch { throw new DeltaError('delta header is not JSON'); }
  const h = json as Partial<DeltaHeader>;
  if (!isDigest(h?.source) || !isDigest(h?.target) || !Array.isArray(h.ops)) throw new DeltaError('delta header lacks source, target or ops');
  for (const o of h.ops as DeltaOp[]) {
    checkDeltaPath(o?.path);
    const ok = o.op === 'remove'
      || ((o.op === 'dir' || o.op === 'mode') && isMode(o.mode))
      || (o.op === 'file' && isMode(o.mode) && Number.isSafeInteger(o.size) && o.size >= 0)
      || (o.op === 'patch' && isMode(o.mode) && Number.isSafeInteger(o.size) && o.size >= 0 && o.size <= DELTA_LIMITS.patchMaxFileBytes
        && Number.isSafeInteger(o.bytes) && o.bytes > 0 && o.bytes <= DELTA_LIMITS.patchMaxFileBytes)
      || (o.op === 'symlink' && typeof o.target === 'string' && o.target !== '' && Buffer.byteLength(o.target) <= DELTA_LIMITS.pathMaxBytes);
    if (!ok) throw new DeltaError(`delta operation refused: ${JSON.stringify(o).slice(0, 200)}`);
  }
  checkDeltaImage(h.image, h.source!.size, h.target!.size);
  return h as DeltaHeader;
}

/** A range of a file of the rebuilt tree [path, offset, length], or [length]: the next bytes of the delta. */
export type ImageSource = [path: string, offset: number, length: number] | [length: number];

export type ImagePiece =
  /** Bytes of the old bundle: [from, length]. */
  | ['copy', number, number]
  /** The next bytes of the delta, as they are. */
  | ['bytes', number]
  /** The sources' bytes compressed at the image's level; the result must be exactly this long. */
  | ['zstd', number, ImageSource[]]
  /** The sources' bytes as they are (a block mksquashfs kept uncompressed). */
  | ['raw', ImageSource[]];

export interface DeltaImage {
  /** The zstd level and block size the new image was made with. */
  level: number;
  blockSize: number;
  pieces: ImagePiece[];
}

export const IMAGE_LIMITS = {
  /** Largest 'bytes' piece (bytes): the store splits longer runs. */
  bytesPieceMax: 1024 * 1024,
  /** Blocks compressed at the same time (each holds at most one block of memory twice). */
  parallelBlocks: 8,
  /** Size of each read when copying from the old bundle (bytes). */
  copyChunkBytes: 1024 * 1024,
} as const;

const count = (n: unknown, max = Number.MAX_SAFE_INTEGER): n is number => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= max;

function sourcesLength(sources: unknown, blockSize: number): number {
  if (!Array.isArray(sources) || sources.length === 0) throw new DeltaError('delta image: a block has no sources');
  let total = 0;
  for (const s of sources as unknown[]) {
    if (!Array.isArray(s)) throw new DeltaError('delta image: a source is malformed');
    if (s.length === 1 && count(s[0], blockSize)) total += s[0];
    else if (s.length === 3 && count(s[1]) && count(s[2], blockSize)) { checkDeltaPath(s[0]); total += s[2]; }
    else throw new DeltaError(`delta image: source refused: ${JSON.stringify(s).slice(0, 200)}`);
  }
  if (total > blockSize) throw new DeltaError('delta image: a block is larger than the block size');
  return total;
}

/** Checks an image part's shape, and that its pieces make exactly `targetSize` bytes from a `sourceSize`-byte bundle. */
export function checkDeltaImage(value: unknown, sourceSize: number, targetSize: number): DeltaImage {
  const image = value as Partial<DeltaImage> | null;
  const { level, blockSize, pieces } = image ?? {};
  if (!count(level, 22) || level < 1 || !count(blockSize, 1024 * 1024) || blockSize < 4096 || (blockSize & (blockSize - 1)) !== 0 || !Array.isArray(pieces)) {
    throw new DeltaError('delta image lacks level, blockSize or pieces');
  }
  let size = 0;
  for (const p of pieces as unknown[]) {
    const [kind, a, b] = Array.isArray(p) ? p : [];
    if (kind === 'copy' && count(a) && count(b) && a + b <= sourceSize) size += b;
    else if (kind === 'bytes' && count(a, IMAGE_LIMITS.bytesPieceMax)) size += a;
    else if (kind === 'zstd' && count(a, blockSize)) { sourcesLength(b, blockSize); size += a; }
    else if (kind === 'raw') size += sourcesLength(a, blockSize);
    else throw new DeltaError(`delta image: piece refused: ${JSON.stringify(p).slice(0, 200)}`);
  }
  if (size !== targetSize) throw new DeltaError(`delta image makes ${size} bytes, not the target's ${targetSize}`);
  return image as DeltaImage;
}

