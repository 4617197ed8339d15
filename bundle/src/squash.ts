import { BUNDLE_LIMITS, MKSQUASHFS_OPTIONS } from './settings';
import { runTool } from './tools';

/**
 * A tree into a squashfs image with the bundle format's fixed options: the one way pack makes a bundle,
 * so a device re-packing a tree rebuilt from a delta gets the same bytes as the publisher did.
 */
export async function squashTree(src: string, out: string, timeoutMs: number = BUNDLE_LIMITS.mksquashfsTimeoutMs): Promise<void> {
  await runTool('mksquashfs', [src, out, ...MKSQUASHFS_OPTIONS], { timeoutMs });
}
