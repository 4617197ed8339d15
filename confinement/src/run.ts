// Running confined: spawn from a plan, wait without blocking, kill the whole sandbox on timeout;
// hooks with their output captured.
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { HookName } from '@skiff/bundle';
import * as native from '@skiff/native';
import type { ExitStatus } from '@skiff/native';
import type { AppContext, LaunchTarget, RunOptions } from './context';
import { CapturedStdio } from './capture';
import { appPaths } from './mounts';
import { OutputCollector, type CapturedOutput } from './output';
import { buildLaunchPlan } from './plan';

/** Runs an app or hook confined and resolves with its exit status (SIGKILL after a timeout). */
export async function runConfined(ctx: AppContext, target: LaunchTarget, opts: RunOptions = {}): Promise<ExitStatus> {
  const plan = buildLaunchPlan(ctx, target, opts.args ?? []);
  return waitOrKill(native.spawn(plan, opts.stdio ? { stdio: opts.stdio } : {}), opts);
}

/** Options of a captured run: its stdio is always /dev/null and two pipes, so none is taken. */
export interface CaptureOptions extends Omit<RunOptions, 'stdio'> {
  /** Bytes of output kept (the newest); default OUTPUT_MAX_BYTES. */
  maxOutputBytes?: number;
  /** Milliseconds to wait after the exit for the pipes to close; default OUTPUT_DRAIN_MS. */
  outputDrainMs?: number;
}

export interface CapturedRun { status: ExitStatus; output: CapturedOutput }

/**
 * Runs confined with stdin on /dev/null and stdout/stderr captured, cleaned of control sequences;
 * resolves once it has exited (or was killed) and its pipes are drained.
 */
export async function runCaptured(ctx: AppContext, target: LaunchTarget, opts: CaptureOptions = {}): Promise<CapturedRun> {
  const plan = buildLaunchPlan(ctx, target, opts.args ?? []);
  const collector = new OutputCollector(opts.maxOutputBytes);
  const stdio = new CapturedStdio(collector);
  let status: ExitStatus;
  try {
    const pid = native.spawn(plan, { stdio: stdio.childFds });
    stdio.spawned();
    status = await waitOrKill(pid, opts);
  } catch (e) {
    stdio.abandon();
    throw e;
  }
  await stdio.drained(opts.outputDrainMs);
  return { status, output: collector.finish() };
}

// pid is the sandbox's init (pid 1 inside): killing it makes the kernel kill every process inside.
async function waitOrKill(pid: number, opts: Pick<RunOptions, 'timeoutMs' | 'signal'>): Promise<ExitStatus> {
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

/** Runs a hook, its output captured, if the bundle has it (meta/hooks/<hook>); resolves null when it has none. */
export async function runHook(ctx: AppContext, hook: HookName, opts: CaptureOptions = {}): Promise<CapturedRun | null> {
  if (!hasHook(ctx, hook)) return null;
  return runCaptured(ctx, { hook }, opts);
}
