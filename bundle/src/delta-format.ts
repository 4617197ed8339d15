// The delta format (docs/deltas.md): what a device needs to turn revision A's bundle into revision B's.
// A zstd stream holding a magic line, the header's length, the header (JSON), then the bytes of every
// 'file' operation, in order. The device applies the operations to A's tree and re-packs it.
import { SkiffError } from './errors';

export const DELTA_MAGIC = 'SKIFF-DELTA 1\n';

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
  /** Memory zstd may use to apply one patch (bytes): its window spans the old file and the new one. */
  patchDecompressMaxBytes: 64 * 1024 * 1024,
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
        && Number.isSafeInteger(o.bytes) && o.bytes > 0)
      || (o.op === 'symlink' && typeof o.target === 'string' && o.target !== '' && Buffer.byteLength(o.target) <= DELTA_LIMITS.pathMaxBytes);
    if (!ok) throw new DeltaError(`delta operation refused: ${JSON.stringify(o).slice(0, 200)}`);
  }
  return h as DeltaHeader;
}
