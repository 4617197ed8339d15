// Shared by the bundle tests: temporary folders that clean up, and small app trees.
import { after } from 'node:test';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const EXAMPLE_HELLO = join(__dirname, '..', '..', '..', 'examples', 'hello');

const made: string[] = [];
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A new empty folder, removed when the test file ends. */
export function tempDir(prefix = 'skiff-bundle-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** A copy of examples/hello in a fresh temporary folder; returns {app, out} (out does not exist yet). */
export function helloCopy(): { app: string; out: string } {
  const top = tempDir();
  const app = join(top, 'hello');
  cpSync(EXAMPLE_HELLO, app, { recursive: true, preserveTimestamps: false });
  return { app, out: join(top, 'out') };
}

/** Writes a file (making its folder), with a mode. */
export function put(root: string, path: string, body: string, mode = 0o644): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, body);
  chmodSync(file, mode);
  return file;
}

export const isRoot = process.getuid?.() === 0;
