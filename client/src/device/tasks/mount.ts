import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { rmdirIfEmpty, rmrf } from '../fsutil';
import { removeAppData } from '../appdata';

export interface MountParams {
  name: string; rev: number; sha256: string; size: number;
  channel: string | null; dangerous: boolean; devmode: boolean;
}

/** Mounts the bundle read-only at skiff/<name>/<rev> and records the revision. */
export const mount: TaskHandler<DeviceEnv, MountParams> = {
  async do(env, task) {
    const p = task.params;
    const { paths, state } = env.device;
    const dir = paths.mountDir(p.name, p.rev);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (!env.backend.isMounted(dir)) env.backend.mountBundle(paths.bundleFile(p.name, p.rev), dir);
    const manifest = env.backend.mountedManifest(dir);
    state.tx(() => state.putRevision({
      name: p.name, rev: p.rev, version: manifest.version, sha256: p.sha256, size: p.size,
      dangerous: p.dangerous, devmode: p.devmode, channel: p.channel, manifest,
    }));
  },
  async undo(env, task) {
    const p = task.params;
    discardRevision(env, p.name, p.rev);
  },
};

/** Unmounts a revision and deletes its mount folder, blob, data and row; each step skipped when done. */
export function discardRevision(env: DeviceEnv, name: string, rev: number, opts: { keepData?: boolean } = {}): void {
  const { paths, state } = env.device;
  const dir = paths.mountDir(name, rev);
  if (env.backend.isMounted(dir)) env.backend.unmount(dir);
  if (existsSync(dir)) rmdirSync(dir);
  rmrf(paths.bundleFile(name, rev));
  rmrf(paths.bundleFile(name, rev) + '.partial');
  if (!opts.keepData) removeAppData(paths.revDataDir(name, rev));
  state.tx(() => state.deleteRevision(name, rev));
  rmdirIfEmpty(paths.appDir(name));
}

/** keepData: leave the revision's data for the keep-data or keep-volume task (absent: true). */
export interface DiscardParams { name: string; rev: number; keepData?: boolean }

/** Remove: drops one revision for good (after the commit point, so its undo has nothing to do). */
export const discard: TaskHandler<DeviceEnv, DiscardParams> = {
  async do(env, task) {
    const p = task.params;
    // Data goes with keep-data or keep-volume (snapshot or purge), which runs after every discard.
    discardRevision(env, p.name, p.rev, { keepData: p.keepData ?? true });
  },
  async undo() { /* past the commit point */ },
};
