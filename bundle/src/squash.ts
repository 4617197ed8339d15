import { BUNDLE_LIMITS, MKSQUASHFS_OPTIONS } from './settings';
import { runTool } from './tools';

/** A tree into a squashfs image with the bundle format's fixed options: the one way pack makes a bundle. */
export async function squashTree(src: string, out: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  await runTool('mksquashfs', [src, out, ...MKSQUASHFS_OPTIONS], { timeoutMs: opts.timeoutMs ?? BUNDLE_LIMITS.mksquashfsTimeoutMs });
}
