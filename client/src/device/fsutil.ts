import { existsSync, readdirSync, rmSync, rmdirSync, lstatSync } from 'node:fs';

/** True when path exists, without following a final symlink. */
export function lexists(path: string): boolean {
  try { lstatSync(path); return true; } catch { return false; }
}

/** Removes a folder if it exists and is empty; leaves it otherwise. */
export function rmdirIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

export function rmrf(path: string): void { rmSync(path, { recursive: true, force: true }); }
