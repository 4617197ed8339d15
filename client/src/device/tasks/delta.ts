// A refresh through a delta (docs/deltas.md): download-delta fetches the signed delta, rebuild applies it
// to an overlay over the source revision's mount and writes the new bundle from the old one's blocks and
// the new blocks it compresses. Neither fails its change: any failure is
// logged once and leaves nothing, and the download task that follows fetches the full bundle instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { applyDelta, fsyncDir, hashFile } from '@skiff/bundle';
import { zstdCompressBlock, zstdPatch } from '@skiff/native';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import type { BundleTarget, DeltaTarget } from '../../trust';
import type { Task } from '../task';
import { rmrf } from '../fsutil';
import { keepPartial } from './download';

/** How long applying a delta and writing the new bundle may take before the full download is used (milliseconds). */
export const REBUILD_TIMEOUT_MS = 10 * 60 * 1000;

export interface DeltaParams { name: string; rev: number; from: number; delta: DeltaTarget; bundle: BundleTarget }

const bundleReady = (env: DeviceEnv, p: DeltaParams): boolean => {
  const dest = env.device.paths.bundleFile(p.name, p.rev);
  return existsSync(dest) && statSync(dest).size === p.bundle.length;
};

/** Logs why the delta was not used, once, and clears what it left; an abort is not a fallback. */
function fallBack(env: DeviceEnv, task: Task<DeltaParams>, err: unknown): void {
  if (task.signal.aborted) throw err;
  const p = task.params;
  clearDelta(env, p);
  task.setData({ fallback: true });
  task.log(`delta not used (${(err as Error).message}); the full bundle is downloaded instead`);
}

function clearDelta(env: DeviceEnv, p: DeltaParams): void {
  const file = env.device.paths.deltaFile(p.name, p.from, p.rev);
  rmrf(file);
  rmrf(`${file}.partial`);
}

export const downloadDelta: TaskHandler<DeviceEnv, DeltaParams> = {
  async do(env, task) {
    const p = task.params;
    if (bundleReady(env, p)) return;
    const dest = env.device.paths.deltaFile(p.name, p.from, p.rev);
    mkdirSync(dirname(dest), { recursive: true });
    // An earlier change cancelled mid-delta kept its bytes by the delta's signed hash: resume from them.
    const kept = env.device.paths.partialFile(p.delta.sha256);
    if (existsSync(kept) && !existsSync(`${dest}.partial`)) renameSync(kept, `${dest}.partial`);
    try {
      await env.trust().download(p.delta, dest, { signal: task.signal, ...(env.progress === undefined ? {} : { progress: env.progress }) });
    } catch (err) {
      fallBack(env, task, err);
    }
  },
  async undo(env, task) {
    const p = task.params;
    const dest = env.device.paths.deltaFile(p.name, p.from, p.rev);
    keepPartial(env.device.paths.partialsDir, `${dest}.partial`, env.device.paths.partialFile(p.delta.sha256), p.delta.length);
    clearDelta(env, p);
  },
};

export const rebuild: TaskHandler<DeviceEnv, DeltaParams> = {
  async do(env, task) {
    const p = task.params;
    const { paths } = env.device;
    const delta = paths.deltaFile(p.name, p.from, p.rev);
    // Nothing to rebuild from: download-delta already said why.
    if (bundleReady(env, p) || !existsSync(delta)) return;
    const dest = paths.bundleFile(p.name, p.rev);
    const out = `${dest}.rebuild`;
    try {
      await rebuildBundle(env, p, delta, out, task.signal);
      // Accepted only as the exact bundle the store signed: the rebuilt file is renamed into place (and so
      // can be mounted) only after its length and sha256 match.
      const got = await hashFile(out);
      if (got.size !== p.bundle.length || got.sha256 !== p.bundle.sha256) {
        throw new Error(`the rebuilt bundle differs from the signed one (${got.size} bytes, sha256 ${got.sha256.slice(0, 12)}…; signed ${p.bundle.length}, ${p.bundle.sha256.slice(0, 12)}…)`);
      }
      renameSync(out, dest);
      fsyncDir(dirname(dest));
      rmrf(delta);
      task.log(`rebuilt revision ${p.rev} from revision ${p.from} with a delta of ${p.delta.length} bytes (the full bundle is ${p.bundle.length})`);
    } catch (err) {
      rmrf(out);
      fallBack(env, task, err);
    } finally {
      clearWork(env, p);
    }
  },
  async undo(env, task) {
    const p = task.params;
    clearWork(env, p);
    const dest = env.device.paths.bundleFile(p.name, p.rev);
    rmrf(`${dest}.rebuild`);
    // The rebuilt bundle is this task's output: a crash right after it leaves no download task to undo.
    rmrf(dest);
    clearDelta(env, p);
  },
};

/** Applies the delta to an overlay over the source revision's read-only mount, then writes the new bundle. */
async function rebuildBundle(env: DeviceEnv, p: DeltaParams, delta: string, out: string, signal: AbortSignal): Promise<void> {
  const { paths } = env.device;
  const source = paths.mountDir(p.name, p.from);
  if (!env.backend.isMounted(source)) throw new Error(`revision ${p.from} is not mounted on this device`);
  const work = paths.rebuildWorkDir(p.name, p.rev);
  clearWork(env, p);
  const [upper, scratch, merged] = ['upper', 'work', 'merged'].map((d) => join(work, d)) as [string, string, string];
  for (const d of [upper, scratch, merged]) mkdirSync(d, { recursive: true, mode: 0o700 });
  // overlayfs splits its options on ',' and lowerdir on ':'.
  if (/[,:]/.test(source + work)) throw new Error(`cannot mount an overlay over ${source}: the path holds ',' or ':'`);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${source},upperdir=${upper},workdir=${scratch}`, merged],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  rmrf(out);
  const zstd = { compress: zstdCompressBlock, patch: zstdPatch };
  await applyDelta(delta, merged, { timeoutMs: REBUILD_TIMEOUT_MS, sourceBundle: paths.bundleFile(p.name, p.from), out, zstd });
  if (signal.aborted) throw new Error('aborted');
}

/** Unmounts the overlay (if a crash left it) and deletes the work folder: nothing of a rebuild outlives it. */
function clearWork(env: DeviceEnv, p: DeltaParams): void {
  const work = env.device.paths.rebuildWorkDir(p.name, p.rev);
  const merged = join(work, 'merged');
  if (existsSync(merged) && env.backend.isMounted(merged)) env.backend.unmount(merged);
  rmrf(work);
}
