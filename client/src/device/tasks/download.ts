import { copyFileSync, existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import type { BundleTarget } from '../../trust';
import { fsyncDir } from '@skiff/bundle';
import { rmrf } from '../fsutil';
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';

/** Interrupted downloads kept for a later attempt to resume; the oldest beyond this are deleted. */
export const MAX_KEPT_PARTIALS = 2;

export interface DownloadParams { name: string; rev: number; target: BundleTarget }
export interface CopyLocalParams { name: string; rev: number; file: string; size: number }

/** Fetches a verified target into bundles/<name>_<rev>.skiff (the trust layer hashes while it writes). */
export const download: TaskHandler<DeviceEnv, DownloadParams> = {
  async do(env, task) {
    const p = task.params;
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    // The trust layer (or a rebuild from a delta) renames into dest only once verified: a present dest of the right length is done.
    if (existsSync(dest) && statSync(dest).size === p.target.length) return;
    mkdirSync(dirname(dest), { recursive: true });
    // An earlier attempt at the same signed target left bytes: resume from them (the trust layer checks them).
    const kept = env.device.paths.partialFile(p.target.sha256);
    if (existsSync(kept) && !existsSync(dest + '.partial')) renameSync(kept, dest + '.partial');
    const onProgress = env.taskProgress && ((done: number, total: number) => env.taskProgress!(task.id, { label: 'Download', done, total }));
    const opts = { signal: task.signal, ...(env.progress === undefined ? {} : { progress: env.progress }), ...(onProgress ? { onProgress } : {}) };
    await env.trust().download(p.target, dest, opts);
    fsyncDir(dirname(dest));
  },
  async undo(env, task) {
    const p = task.params;
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    rmrf(dest);
    keepPartial(env.device.paths.partialsDir, dest + '.partial', env.device.paths.partialFile(p.target.sha256), p.target.length);
  },
};

/** Moves an interrupted download aside (by its signed hash) so the next change resumes it, not restarts. */
export function keepPartial(dir: string, partial: string, kept: string, length: number): void {
  let size = -1;
  try { size = statSync(partial).size; } catch { return; }
  if (size <= 0 || size >= length) { rmrf(partial); return; }
  mkdirSync(dir, { recursive: true });
  renameSync(partial, kept);
  fsyncDir(dir);
  const others = readdirSync(dir).map((f) => join(dir, f)).filter((f) => f !== kept)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const old of others.slice(MAX_KEPT_PARTIALS - 1)) rmrf(old);
}

/** Copies a local (dangerous) bundle into bundles/, through a temporary name. */
export const copyLocal: TaskHandler<DeviceEnv, CopyLocalParams> = {
  async do(env, task) {
    const p = task.params;
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    if (existsSync(dest)) return;
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(p.file, dest + '.partial');
    renameSync(dest + '.partial', dest);
    fsyncDir(dirname(dest));
  },
  async undo(env, task) {
    const p = task.params;
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    rmrf(dest);
    rmrf(dest + '.partial');
  },
};
