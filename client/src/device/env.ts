import { checkBundleTree, listTree, readBundleManifest, parseManifest, type HookName, type Manifest } from '@skiff/bundle';
import * as native from '@skiff/native';
import type { AppContext } from '@skiff/confinement';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceTrust } from '../trust';
import type { Device } from './device';
import { NotSetUpError } from './errors';
import { runHook, type CapturedRun } from './run';
import { writeWrappers, removeWrappers } from './wrappers';
import { Supervisor } from '../services/supervisor';
import { SERVICES_SETTLE_MS } from './config';

/** Milliseconds a hook may run before it is killed (and counts as failed). */
export const HOOK_TIMEOUT_MS = 120_000;
/** Bytes of a hook's output kept in its task's log (the newest; the rest is counted as dropped). */
export const HOOK_OUTPUT_MAX_BYTES = 64 * 1024;

/** The mechanisms tasks use; the real ones by default (unit tests of the runner swap in a recorder). */
export interface Backend {
  mountBundle(file: string, target: string): void;
  unmount(target: string): void;
  isMounted(target: string): boolean;
  /** Runs a hook with stdin on /dev/null and its output captured and cleaned; null when the bundle has none. */
  runHook(ctx: AppContext, hook: HookName, signal?: AbortSignal): Promise<CapturedRun | null>;
  writeWrappers(ctx: AppContext): void;
  removeWrappers(root: string, name: string): void;
  /** The manifest of a bundle file, read without mounting it (a --dangerous install checks it first). */
  inspectManifest(file: string): Promise<Manifest>;
  /** The manifest of a mounted revision. */
  mountedManifest(dir: string): Manifest;
  /** Applies the bundle tree rules (the ones pack and the store apply) to a mounted revision. */
  checkMountedTree(dir: string, manifest: Manifest): Promise<void>;
}

export const realBackend: Backend = {
  mountBundle: (file, target) => native.mountBundle(file, target),
  unmount: (target) => native.unmount(target),
  isMounted: (target) => native.isMounted(target),
  runHook: (ctx, hook, signal) => runHook(ctx, hook, {
    timeoutMs: HOOK_TIMEOUT_MS, maxOutputBytes: HOOK_OUTPUT_MAX_BYTES, ...(signal ? { signal } : {}),
  }),
  writeWrappers: (ctx) => { writeWrappers(ctx); },
  removeWrappers: (root, name) => removeWrappers(root, name),
  // For a --dangerous file, before anything is planned: the listing and the tree rules, without a hash
  // pass (there is no signed sha256 to check it against).
  inspectManifest: async (file) => {
    const { manifest, files } = await readBundleManifest(file);
    checkBundleTree(manifest, files);
    return manifest;
  },
  mountedManifest: (dir) => {
    const file = join(dir, 'meta/app.yaml');
    return parseManifest(readFileSync(file, 'utf8'), file);
  },
  // Walks the read-only mount with lstat (no link followed): cheaper than two unsquashfs runs on the file.
  checkMountedTree: async (dir, manifest) => { checkBundleTree(manifest, await listTree(dir)); },
};

/** What every task handler gets: the device, its mechanisms, and (lazily) its view of the store. */
export interface DeviceEnv {
  device: Device;
  backend: Backend;
  trust(): DeviceTrust;
  /** Show download progress; default: when stderr is a TTY. */
  progress?: boolean;
  /**
   * The supervisor that starts and stops services for changes: the agent's, or (in-process skiff) a
   * passive one that adopts the running shims for this command only and restarts nothing.
   */
  services(): Promise<Supervisor>;
  /** Told how far a long task has got (skiffd serves it as the task's progress). */
  taskProgress?: (taskId: number, progress: TaskProgress) => void;
}

/** How far a task has got: `done` of `total` units of `label` (bytes of a download). */
export interface TaskProgress { label: string; done: number; total: number }

const quietLog = { info() {}, warn() {}, error() {} };

export function makeEnv(device: Device, backend: Backend = realBackend, progress?: boolean, supervisor?: () => Promise<Supervisor>): DeviceEnv {
  let trust: DeviceTrust | undefined;
  let own: Promise<Supervisor> | undefined;
  const env: DeviceEnv = {
    device, backend,
    services: async () => supervisor ? supervisor() : await (own ??= (async () => {
      const s = new Supervisor({ device, log: quietLog, passive: true, settings: { settleMs: Number(device.state.configGet(SERVICES_SETTLE_MS)) } });
      await s.adopt();
      return s;
    })()),
    trust: () => {
      const storeUrl = device.state.configGet('store.url');
      if (!storeUrl) throw new NotSetUpError(device.root);
      return (trust ??= new DeviceTrust({ trustDir: device.paths.trustDir, storeUrl }));
    },
  };
  if (progress !== undefined) env.progress = progress;
  return env;
}
