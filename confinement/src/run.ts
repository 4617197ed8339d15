// Running confined: spawn from a plan, wait without blocking, kill the whole sandbox on timeout.
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { HookName } from '@skiff/bundle';
import * as native from '@skiff/native';
import type { ExitStatus } from '@skiff/native';
import type { AppContext, LaunchTarget, RunOptions } from './context';
import { appPaths } from './mounts';
import { buildLaunchPlan } from './plan';

/** Runs an app or hook confined and resolves with its exit status (SIGKILL after a timeout). */
export async function runConfined(ctx: AppContext, target: LaunchTarget, opts: RunOptions = {}): Promise<ExitStatus> {
  const plan = buildLaunchPlan(ctx, target, opts.args ?? []);
  const pid = native.spawn(plan, opts.stdio ? { stdio: opts.stdio } : {});
  // The app is pid 1 of its namespace: killing it makes the kernel kill every process inside.
  const timer = opts.timeoutMs ? setTimeout(() => killQuietly(pid), opts.timeoutMs) : undefined;
  const onAbort = () => killQuietly(pid);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await native.wait(pid);
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function killQuietly(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
}

/** True when the mounted bundle has meta/hooks/<hook> (lstat: a bundle symlink is never followed on the host). */
export function hasHook(ctx: Pick<AppContext, 'root' | 'name' | 'revision'>, hook: HookName): boolean {
  try {
    lstatSync(join(appPaths(ctx).bundle, 'meta', 'hooks', hook));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Runs a hook if the bundle has it (meta/hooks/<hook>); resolves null when it has none. */
export async function runHook(ctx: AppContext, hook: HookName, opts: RunOptions = {}): Promise<ExitStatus | null> {
  if (!hasHook(ctx, hook)) return null;
  return runConfined(ctx, { hook }, opts);
}
