import { copyFileSync, existsSync, renameSync, statSync } from 'node:fs';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import type { BundleTarget } from '../../trust';
import { fsyncDir, rmrf } from '../fsutil';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';

export interface DownloadParams { name: string; rev: number; target: BundleTarget }
export interface CopyLocalParams { name: string; rev: number; file: string; size: number }

/** Fetches a verified target into bundles/<name>_<rev>.skiff (the trust layer hashes while it writes). */
export const download: TaskHandler<DeviceEnv> = {
  async do(env, task) {
    const p = task.params as unknown as DownloadParams;
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    // The trust layer renames into dest only once verified, so a present dest of the right length is done.
    if (existsSync(dest) && statSync(dest).size === p.target.length) return;
    mkdirSync(dirname(dest), { recursive: true });
    const opts = env.progress === undefined ? {} : { progress: env.progress };
    await env.trust().download(p.target, dest, opts);
    fsyncDir(dirname(dest));
  },
  async undo(env, task) {
    const p = task.params as unknown as DownloadParams;
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    rmrf(dest);
    rmrf(dest + '.partial');
  },
};

/** Copies a local (dangerous) bundle into bundles/, through a temporary name. */
export const copyLocal: TaskHandler<DeviceEnv> = {
  async do(env, task) {
    const p = task.params as unknown as CopyLocalParams;
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    if (existsSync(dest)) return;
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(p.file, dest + '.partial');
    renameSync(dest + '.partial', dest);
    fsyncDir(dirname(dest));
  },
  async undo(env, task) {
    const p = task.params as unknown as CopyLocalParams;
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    rmrf(dest);
    rmrf(dest + '.partial');
  },
};
