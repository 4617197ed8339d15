import { chownSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { fsyncDir } from '@skiff/bundle';
import { rmdirIfEmpty, rmrf } from '../fsutil';
import { copyTree } from '../copytree';
import { explainNoSpace } from '../data-volume';

export interface CopyDataParams { name: string; from: number | null; to: number; uid: number }
type Plan = 'existing' | 'copy' | 'restore' | 'empty';

/** Makes a folder owned by the app's user, so the confined app can write it. */
function mkdirOwned(dir: string, uid: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chownSync(dir, uid, uid);
}

/**
 * Gives the new revision its data: a copy of the current revision's (refresh), the snapshot kept
 * by a remove (reinstall), or an empty folder; `common` is shared and only created when missing.
 */
export const copyData: TaskHandler<DeviceEnv> = {
  async do(env, task) {
    const p = task.params as unknown as CopyDataParams;
    const { paths } = env.device;
    const target = paths.revDataDir(p.name, p.to);
    const snapshot = paths.snapshotDir(p.name);
    // Decide before acting, so a rerun after a crash takes the same path.
    const plan = task.decide<Plan>('plan', () => existsSync(target) ? 'existing'
      : p.from !== null && existsSync(paths.revDataDir(p.name, p.from)) ? 'copy'
      : existsSync(snapshot) ? 'restore' : 'empty');
    const commonCreated = task.decide('commonCreated', () => !existsSync(paths.commonDataDir(p.name)));
    mkdirSync(paths.appDataDir(p.name), { recursive: true, mode: 0o755 });
    const tmp = `${target}.copying`;
    if (plan === 'copy' && !existsSync(target)) {
      rmrf(tmp);
      try {
        for (const skipped of copyTree(paths.revDataDir(p.name, p.from!), tmp)) task.log(`not copied (not a file, folder or symlink): ${skipped}`);
      } catch (e) { throw explainNoSpace(env.device, p.name, e); } // a full volume: name the app, its size and the setting
      renameSync(tmp, target);
    } else if (plan === 'restore') {
      if (!existsSync(target) && existsSync(join(snapshot, 'data'))) renameSync(join(snapshot, 'data'), target);
      if (!existsSync(paths.commonDataDir(p.name)) && existsSync(join(snapshot, 'common'))) renameSync(join(snapshot, 'common'), paths.commonDataDir(p.name));
      rmrf(snapshot);
    }
    if (!existsSync(target)) mkdirOwned(target, p.uid);
    if (commonCreated && !existsSync(paths.commonDataDir(p.name))) mkdirOwned(paths.commonDataDir(p.name), p.uid);
    fsyncDir(paths.appDataDir(p.name));
  },
  async undo(env, task) {
    const p = task.params as unknown as CopyDataParams;
    const { paths } = env.device;
    const d = task.data;
    const target = paths.revDataDir(p.name, p.to);
    const snapshot = paths.snapshotDir(p.name);
    if (d.plan === 'restore') {
      // Put the kept data back where remove left it.
      mkdirSync(snapshot, { recursive: true });
      if (existsSync(target) && !existsSync(join(snapshot, 'data'))) renameSync(target, join(snapshot, 'data'));
      if (existsSync(paths.commonDataDir(p.name)) && !existsSync(join(snapshot, 'common'))) renameSync(paths.commonDataDir(p.name), join(snapshot, 'common'));
    } else if (d.plan === 'copy' || d.plan === 'empty') {
      rmrf(target);
      rmrf(`${target}.copying`);
    }
    if (d.commonCreated === true) rmrf(paths.commonDataDir(p.name));
    rmdirIfEmpty(paths.appDataDir(p.name));
  },
};

export interface KeepDataParams { name: string; rev: number; purge: boolean }

/** Remove: moves the current revision's data and `common` into a snapshot (or deletes all with purge). */
export const keepData: TaskHandler<DeviceEnv> = {
  async do(env, task) {
    const p = task.params as unknown as KeepDataParams;
    const { paths } = env.device;
    const snapshot = paths.snapshotDir(p.name);
    if (p.purge) {
      rmrf(snapshot);
      rmrf(paths.appDataDir(p.name));
      return;
    }
    const data = paths.revDataDir(p.name, p.rev);
    const common = paths.commonDataDir(p.name);
    const tmp = `${snapshot}.new`;
    // Each step checks what is left to move, so a rerun after a crash picks up where it stopped.
    if (existsSync(data) || existsSync(common)) mkdirSync(tmp, { recursive: true, mode: 0o700 });
    if (existsSync(data)) renameSync(data, join(tmp, 'data'));
    if (existsSync(common)) renameSync(common, join(tmp, 'common'));
    if (existsSync(tmp)) {
      rmrf(snapshot);
      renameSync(tmp, snapshot);
      fsyncDir(paths.snapshotsDir);
    }
    rmrf(paths.appDataDir(p.name));
  },
  async undo() { /* past the commit point */ },
};
