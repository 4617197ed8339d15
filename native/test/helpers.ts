// Test helpers: a real squashfs image, temporary folders, and the reason a root-only test skips.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** `skip` option of a test that needs root: false as root, else the reason. */
export const needsRoot = (what: string): string | false =>
  process.getuid?.() !== 0 && `needs root: ${what}`;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `skiff-native-${prefix}-`));
}

/** Builds a small squashfs image holding hello.txt and sub/data.txt; returns its path. */
export function makeSquashfs(dir: string): string {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  writeFileSync(join(tree, 'hello.txt'), 'hello from the bundle\n');
  writeFileSync(join(tree, 'sub', 'data.txt'), 'x'.repeat(10000));
  const image = join(dir, 'bundle.skiff');
  execFileSync('mksquashfs', [tree, image, '-noappend', '-comp', 'zstd', '-all-root', '-no-xattrs', '-quiet', '-no-progress']);
  return image;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
