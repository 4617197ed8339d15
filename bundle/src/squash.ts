import { BUNDLE_LIMITS, MKSQUASHFS_OPTIONS } from './settings';
import { runTool } from './tools';

/**
 * A tree into a squashfs image with the bundle format's fixed options: the one way pack makes a bundle,
 * so a device re-packing a tree rebuilt from a delta gets the same bytes as the publisher did.
 */
export async function squashTree(src: string, out: string, opts: { timeoutMs?: number; memoryMiB?: number } = {}): Promise<void> {
  // -mem bounds mksquashfs's caches without changing a byte of the image (measured: docs/deltas.md).
  const mem = opts.memoryMiB ? ['-mem', `${opts.memoryMiB}M`] : [];
  await runTool('mksquashfs', [src, out, ...MKSQUASHFS_OPTIONS, ...mem], { timeoutMs: opts.timeoutMs ?? BUNDLE_LIMITS.mksquashfsTimeoutMs });
}
