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
