import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from '@skiff/bundle';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import {
  KEPT_DATA, createVolume, deleteVolume, growVolume, mountVolumeAt, unmountVolumeAt,
} from '../data-volume';

export interface MountDataParams { name: string; from: number | null; to: number; bytes: number }

/** Data kept by an older skiff: a plain folder, or a snapshot folder. It stays as it is, without a volume. */
function hasLegacyData(env: DeviceEnv, name: string): boolean {
  const { paths } = env.device;
  const dir = paths.appDataDir(name);
  return existsSync(paths.snapshotDir(name)) || (existsSync(dir) && readdirSync(dir).length > 0);
}

/**
 * Before copy-data: creates the app's data volume when it has none, mounts it, grows it to the setting,
 * and on a reinstall gives the data kept by `remove` to the new revision (copy-data then finds it).
 */
export const mountData: TaskHandler<DeviceEnv, MountDataParams> = {
  async do(env, task) {
    const p = task.params;
    const { paths } = env.device;
    const image = paths.volumeImage(p.name);
    const dir = paths.appDataDir(p.name);
    if (task.decide('legacy', () => !existsSync(image) && hasLegacyData(env, p.name))) {
      task.log(`${dir} predates data volumes: it keeps working without a size limit until the app is removed with --purge`);
      return;
    }
    if (task.decide('created', () => !existsSync(image)) && !existsSync(image)) createVolume(image, p.bytes);
    mountVolumeAt(image, dir, p.bytes); // grows it offline first when it was not mounted
    try { growVolume(image, dir, p.bytes); } catch (e) {
      // Mounted and in use by the running revision: never fail a refresh for this.
      task.log(`data volume not grown online (it grows at its next mount): ${e instanceof Error ? e.message : String(e)}`);
    }
    const kept = join(dir, KEPT_DATA);
    const target = paths.revDataDir(p.name, p.to);
    if (task.decide('restored', () => existsSync(kept) && !existsSync(target)) && existsSync(kept)) {
      renameSync(kept, target);
      fsyncDir(dir);
    }
  },
  async undo(env, task) {
    const p = task.params;
    const { paths } = env.device;
    const d = task.data;
    if (d.legacy !== false) return; // legacy, or never decided anything
    const dir = paths.appDataDir(p.name);
    const kept = join(dir, KEPT_DATA);
    const target = paths.revDataDir(p.name, p.to);
    if (d.restored === true && existsSync(target) && !existsSync(kept)) {
      renameSync(target, kept);
      fsyncDir(dir);
    }
    // A refresh leaves the volume to the revision still running; an install takes it away again.
    if (p.from !== null) return;
    unmountVolumeAt(dir);
    if (d.created === true) deleteVolume(paths.volumeImage(p.name));
  },
};

export interface KeepVolumeParams { name: string; rev: number; purge: boolean }

/**
 * Remove, after the commit point: purge deletes the image (no file inside it is walked); otherwise the
 * current revision's data moves to `kept` at the top of the volume, and the image stays for a reinstall.
 */
export const keepVolume: TaskHandler<DeviceEnv, KeepVolumeParams> = {
  async do(env, task) {
    const p = task.params;
    const { paths } = env.device;
    const image = paths.volumeImage(p.name);
    const dir = paths.appDataDir(p.name);
    if (p.purge) {
      unmountVolumeAt(dir);
      deleteVolume(image);
      return;
    }
    if (!existsSync(image)) return;
    // Mounted again when a reboot came between the commit point and here, so the move is never skipped.
    mountVolumeAt(image, dir);
    const data = paths.revDataDir(p.name, p.rev);
    const kept = join(dir, KEPT_DATA);
    if (existsSync(data) && !existsSync(kept)) {
      renameSync(data, kept);
      fsyncDir(dir);
    }
    unmountVolumeAt(dir);
  },
  async undo() { /* past the commit point */ },
};
