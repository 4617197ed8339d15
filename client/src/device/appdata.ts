// An app's writable data as root handles it: copied and deleted by file descriptor, never
// by a path the app controls, while the app's processes are frozen; its folders closed to others.
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as native from '@skiff/native';
import { appCgroupDirs, probeCgroups, type CgroupLayout } from '@skiff/confinement';
import type { DeviceLayout } from '@skiff/bundle';

/** Rounds of "freeze the app's cgroups, look again" before the data operation starts anyway. */
export const FREEZE_ROUNDS = 10;
/** `<root>/var/skiff/<name>`: root's, closed; the app reaches its data only through its bind mounts. */
export const APP_DATA_MODE = 0o700;
/** Revision and `common` folders: the app's own, closed to other users. */
export const REV_DATA_MODE = 0o700;

/**
 * Runs fn with every running process of app `name` frozen (its apps, hooks and wrapper launches),
 * and thaws them in a finally. Defense in depth: the fd-relative copy and delete are safe against a
 * racing app on their own. A launch started after the last look runs unfrozen (see appCgroupDirs).
 */
export async function withAppFrozen<T>(name: string, log: (line: string) => void, fn: () => T): Promise<T> {
  let layout: CgroupLayout;
  try { layout = probeCgroups(); } catch (e) {
    log(`${name} not frozen: ${(e as Error).message}`);
    return fn();
  }
  const frozen: string[] = [];
  let failed = 0;
  try {
    for (let round = 0; round < FREEZE_ROUNDS; round++) {
      const fresh = appCgroupDirs(layout, name).filter((d) => !frozen.includes(d));
      if (fresh.length === 0) break;
      for (const dir of fresh) {
        frozen.push(dir);
        // Not fatal: safety rests on the fd-relative walk; a stuck freeze must not strand a change past its commit point.
        try { await native.freezeCgroup(dir); } catch (e) {
          failed++;
          log(`${(e as Error).message}; working on the data of ${name} unfrozen`);
        }
      }
    }
    if (frozen.length > failed) log(`froze ${frozen.length - failed} cgroup(s) of ${name}`);
    return fn();
  } finally {
    for (const dir of frozen) {
      try { native.thawCgroup(dir); } catch (e) { log(`could not thaw ${dir}: ${(e as Error).message}`); }
    }
  }
}

/** Copies one revision's data folder to `<to>` beside it (fd-relative, owned by the app); returns lines for the task log. */
export function copyRevisionData(paths: DeviceLayout, name: string, from: number, to: string, uid: number): string[] {
  const dir = paths.appDataDir(name);
  const skipped = native.copyDataTree({ dir, name: String(from) }, { dir, name: to }, { uid, gid: uid });
  return skipped.map((s) => `not copied: ${join(paths.revDataDir(name, from), s.path)} (${s.reason})`);
}

/** Deletes an app-writable folder (data, common, snapshot) without following anything inside it. */
export function removeAppData(path: string): void {
  native.removeDataTree(dirname(path), basename(path));
}

/** `<root>/var/skiff/<name>`, root-owned 0700 (an existing one is tightened). */
export function makeAppDataDir(paths: DeviceLayout, name: string): void {
  const dir = paths.appDataDir(name);
  mkdirSync(dir, { recursive: true, mode: APP_DATA_MODE });
  chownSync(dir, 0, 0);
  chmodSync(dir, APP_DATA_MODE);
}

/** A revision or `common` folder owned by the app, so the confined app can write it. */
export function makeRevDataDir(dir: string, uid: number): void {
  mkdirSync(dir, { mode: REV_DATA_MODE });
  chownSync(dir, uid, uid);
  chmodSync(dir, REV_DATA_MODE);
}

/**
 * Boot: closes the per-app data folders of devices made by older skiffs (they were 0755, so a local
 * user could read an app's files). Returns warnings; never fails the boot.
 */
export function tightenDataFolders(paths: DeviceLayout): string[] {
  const warnings: string[] = [];
  let names: string[] = [];
  try { names = readdirSync(paths.dataDir); } catch { return warnings; }
  for (const name of names) {
    const dir = join(paths.dataDir, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || ((st.mode & 0o7777) === APP_DATA_MODE && st.uid === 0 && st.gid === 0)) continue;
      chownSync(dir, 0, 0);
      chmodSync(dir, APP_DATA_MODE);
    } catch (e) { warnings.push(`could not close ${dir}: ${(e as Error).message}`); }
  }
  return warnings;
}
