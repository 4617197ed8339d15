import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { fsyncDir } from '@skiff/bundle';
import { rmdirIfEmpty } from '../fsutil';
import { copyRevisionData, makeAppDataDir, makeRevDataDir, removeAppData, withAppFrozen } from '../appdata';
import { explainNoSpace } from '../data-volume';

export interface CopyDataParams { name: string; from: number | null; to: number; uid: number }
type Plan = 'existing' | 'copy' | 'restore' | 'empty';

/**
 * Gives the new revision its data: a copy of the current revision's (refresh), the snapshot kept
 * by a remove (reinstall), or an empty folder; `common` is shared and only created when missing.
 */
export const copyData: TaskHandler<DeviceEnv, CopyDataParams> = {
  async do(env, task) {
    const p = task.params;
    const { paths } = env.device;
    const target = paths.revDataDir(p.name, p.to);
    const snapshot = paths.snapshotDir(p.name);
    // Decide before acting, so a rerun after a crash takes the same path.
    const plan = task.decide<Plan>('plan', () => existsSync(target) ? 'existing'
      : p.from !== null && existsSync(paths.revDataDir(p.name, p.from)) ? 'copy'
      : existsSync(snapshot) ? 'restore' : 'empty');
    const commonCreated = task.decide('commonCreated', () => !existsSync(paths.commonDataDir(p.name)));
    makeAppDataDir(paths, p.name);
    const tmp = `${target}.copying`;
    if (plan === 'copy' && !existsSync(target)) {
      // Frozen, and copied by fd: the running app cannot swap a folder for a link under root's copy.
      await withAppFrozen(p.name, (line) => task.log(line), () => {
        removeAppData(tmp);
        try {
          for (const line of copyRevisionData(paths, p.name, p.from!, `${p.to}.copying`, p.uid)) task.log(line);
        } catch (e) { throw explainNoSpace(env.device, p.name, e); } // a full volume: name the app, its size and the setting
        renameSync(tmp, target);
      });
    } else if (plan === 'restore') {
      if (!existsSync(target) && existsSync(join(snapshot, 'data'))) renameSync(join(snapshot, 'data'), target);
      if (!existsSync(paths.commonDataDir(p.name)) && existsSync(join(snapshot, 'common'))) renameSync(join(snapshot, 'common'), paths.commonDataDir(p.name));
      await withAppFrozen(p.name, (line) => task.log(line), () => removeAppData(snapshot));
    }
    if (!existsSync(target)) makeRevDataDir(target, p.uid);
    if (commonCreated && !existsSync(paths.commonDataDir(p.name))) makeRevDataDir(paths.commonDataDir(p.name), p.uid);
    fsyncDir(paths.appDataDir(p.name));
  },
  async undo(env, task) {
    const p = task.params;
    const { paths } = env.device;
    const d = task.data;
    const target = paths.revDataDir(p.name, p.to);
    const snapshot = paths.snapshotDir(p.name);
    if (d.plan === 'restore') {
      // Put the kept data back where remove left it.
      mkdirSync(snapshot, { recursive: true });
      if (existsSync(target) && !existsSync(join(snapshot, 'data'))) renameSync(target, join(snapshot, 'data'));
      if (existsSync(paths.commonDataDir(p.name)) && !existsSync(join(snapshot, 'common'))) renameSync(paths.commonDataDir(p.name), join(snapshot, 'common'));
    }
    await withAppFrozen(p.name, (line) => task.log(line), () => {
      if (d.plan === 'copy' || d.plan === 'empty') {
        removeAppData(target);
        removeAppData(`${target}.copying`);
      }
      if (d.commonCreated === true) removeAppData(paths.commonDataDir(p.name));
    });
    rmdirIfEmpty(paths.appDataDir(p.name));
  },
};

export interface KeepDataParams { name: string; rev: number; purge: boolean }

/** Remove: moves the current revision's data and `common` into a snapshot (or deletes all with purge). */
export const keepData: TaskHandler<DeviceEnv, KeepDataParams> = {
  async do(env, task) {
    const p = task.params;
    const { paths } = env.device;
    const snapshot = paths.snapshotDir(p.name);
    if (p.purge) {
      await withAppFrozen(p.name, (line) => task.log(line), () => {
        removeAppData(snapshot);
        removeAppData(paths.appDataDir(p.name));
      });
      return;
    }
    const data = paths.revDataDir(p.name, p.rev);
    const common = paths.commonDataDir(p.name);
    const tmp = `${snapshot}.new`;
    // Each step checks what is left to move, so a rerun after a crash picks up where it stopped.
    if (existsSync(data) || existsSync(common)) mkdirSync(tmp, { recursive: true, mode: 0o700 });
    if (existsSync(data)) renameSync(data, join(tmp, 'data'));
    if (existsSync(common)) renameSync(common, join(tmp, 'common'));
    await withAppFrozen(p.name, (line) => task.log(line), () => {
      if (existsSync(tmp)) {
        removeAppData(snapshot);
        renameSync(tmp, snapshot);
        fsyncDir(paths.snapshotsDir);
      }
      removeAppData(paths.appDataDir(p.name));
    });
  },
  async undo() { /* past the commit point */ },
};
