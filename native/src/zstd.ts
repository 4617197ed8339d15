// Squashfs blocks through libzstd (cpp/zstd_block.cc): the same call mksquashfs makes, so the same bytes.
import { native } from './loader';

/** One block compressed at `level` on the thread pool, as mksquashfs would write it. */
export function zstdCompressBlock(block: Buffer, level: number): Promise<Buffer> {
  return native().zstdCompressBlock(block, level);
}

/** One zstd frame back to its bytes; throws when it is damaged or would be longer than `maxBytes`. */
export function zstdDecompressBlock(frame: Buffer, maxBytes: number): Buffer {
  return native().zstdDecompressBlock(frame, maxBytes);
}

/** A delta's patch (a frame made with `zstd --patch-from=old`) applied to `old`; throws unless it gives exactly `size` bytes. */
export function zstdPatch(frame: Buffer, old: Buffer, size: number): Buffer {
  return native().zstdPatch(frame, old, size);
}

/** `next` as a patch against `old` (both at most 16 MiB), for zstdPatch; what `zstd --patch-from=old` makes. */
export function zstdMakePatch(old: Buffer, next: Buffer, level: number): Buffer {
  return native().zstdMakePatch(old, next, level);
}
