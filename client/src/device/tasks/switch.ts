import { readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { fsyncDir, type DeviceLayout } from '@skiff/bundle';
import { lexists, rmrf } from '../fsutil';

export interface SwitchParams { name: string; to: number; from: number | null; channel: string; fromChannel: string | null }

function linkTarget(path: string): string | null {
  try { return readlinkSync(path); } catch { return null; }
}

/** Points skiff/<name>/current at rev: a new symlink under a temporary name, rename(2), fsync of the folder. */
export function switchCurrent(paths: DeviceLayout, name: string, rev: number): void {
  const link = paths.currentLink(name);
  const tmp = join(paths.appDir(name), '.current.new');
  rmrf(tmp); // a crash between symlink and rename leaves it behind
  if (linkTarget(link) === String(rev)) return;
  symlinkSync(String(rev), tmp);
  renameSync(tmp, link); // the commit point: atomic replacement of the link
  fsyncDir(paths.appDir(name));
}

function removeCurrent(paths: DeviceLayout, name: string): void {
  rmrf(join(paths.appDir(name), '.current.new'));
  if (lexists(paths.currentLink(name))) unlinkSync(paths.currentLink(name));
  fsyncDir(paths.appDir(name));
}

/** The commit point of install, refresh and revert: `current` moves to the new revision. */
export const switchTask: TaskHandler<DeviceEnv, SwitchParams> = {
  async do(env, task) {
    const p = task.params;
    switchCurrent(env.device.paths, p.name, p.to);
    env.device.state.tx(() => env.device.state.putApp(p.name, p.channel, p.to));
  },
  async undo(env, task) {
    const p = task.params;
    const { paths, state } = env.device;
    if (p.from === null) {
      removeCurrent(paths, p.name);
      state.tx(() => { state.deleteApp(p.name); state.deleteGrants(p.name); });
    } else {
      switchCurrent(paths, p.name, p.from);
      state.tx(() => state.putApp(p.name, p.fromChannel ?? p.channel, p.from!));
    }
  },
  committed(env, task) {
    const p = task.params;
    return linkTarget(env.device.paths.currentLink(p.name)) === String(p.to);
  },
};

export interface UnlinkParams { name: string; rev: number; channel: string }

/** The commit point of remove: `current` goes, and the app leaves the state. */
export const unlinkTask: TaskHandler<DeviceEnv, UnlinkParams> = {
  async do(env, task) {
    const p = task.params;
    const { paths, state } = env.device;
    // Keep the grant decisions in the task, so an undo before the commit point restores them.
    task.decide('grants', () => [...state.grantRows(p.name)]);
    removeCurrent(paths, p.name);
    state.tx(() => { state.deleteApp(p.name); state.deleteGrants(p.name); });
  },
  async undo(env, task) {
    const p = task.params;
    const { paths, state } = env.device;
    switchCurrent(paths, p.name, p.rev);
    const grants = (task.data.grants ?? []) as [string, boolean][];
    state.tx(() => {
      state.putApp(p.name, p.channel, p.rev);
      for (const [plug, granted] of grants) state.putGrant(p.name, plug, granted);
    });
  },
  committed(env, task) {
    const p = task.params;
    return !lexists(env.device.paths.currentLink(p.name));
  },
};
