// Running an app or a hook confined: confinement builds the plan (policy), native runs it (mechanism).
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { HookName } from '@skiff/bundle';
import { runPlan, runPlanCaptured, type CapturedRunOptions, type ExitStatus, type RunPlanOptions } from '@skiff/native';
import { appPaths, buildLaunchPlan, OutputCollector, type AppContext, type CapturedOutput, type LaunchTarget } from '@skiff/confinement';

export interface RunOptions extends RunPlanOptions {
  args?: string[];
}

/** Runs an app or hook confined and resolves with its exit status (SIGKILL after a timeout). */
export async function runConfined(ctx: AppContext, target: LaunchTarget, opts: RunOptions = {}): Promise<ExitStatus> {
  return runPlan(buildLaunchPlan(ctx, target, opts.args ?? []), opts);
}

/** Options of a captured run: its stdio is always /dev/null and two pipes, so none is taken. */
export interface CaptureOptions extends CapturedRunOptions {
  args?: string[];
  /** Bytes of output kept (the newest); default OUTPUT_MAX_BYTES. */
  maxOutputBytes?: number;
}

export interface CapturedRun { status: ExitStatus; output: CapturedOutput }

/**
 * Runs confined with stdin on /dev/null and stdout/stderr captured, cleaned of control sequences;
 * resolves once it has exited (or was killed) and its pipes are drained.
 */
export async function runCaptured(ctx: AppContext, target: LaunchTarget, opts: CaptureOptions = {}): Promise<CapturedRun> {
  const plan = buildLaunchPlan(ctx, target, opts.args ?? []);
  const collector = new OutputCollector(opts.maxOutputBytes);
  const status = await runPlanCaptured(plan, (stream, chunk) => collector.push(stream, chunk), opts);
  return { status, output: collector.finish() };
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
