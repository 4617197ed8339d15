// Wrappers: a saved plan per app and a tiny shell script that execs skiff-launch on it (no Node at start).
// Only what they say lives here; the device writes them (client/src/device/wrappers.ts).
import type { LaunchPlan } from '@skiff/native';
import type { AppContext } from './context';
import { buildLaunchPlan } from './plan';

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The plan saved for an app's wrappers: one cgroup path, made unique per run by the launcher. */
export function wrapperPlan(ctx: AppContext, app: string): LaunchPlan {
  // No per-launch suffix here: appendPid makes the launcher name the cgroup <path>-<child pid>.
  const plan = buildLaunchPlan(ctx, { app }, [], { unique: '' });
  if (plan.cgroup) plan.cgroup.appendPid = true;
  return plan;
}

/** The text of a wrapper that execs the launcher on a saved plan with the caller's arguments. */
export function wrapperScript(launcher: string, planFile: string): string {
  return `#!/bin/sh\nexec ${shellQuote(launcher)} ${shellQuote(planFile)} "$@"\n`;
}

/** True for the wrappers and plans of app `name` in a folder: `<name>`, `<name>.<anything>` (never `<name>-other...`). */
export function isFileOfApp(fileName: string, name: string): boolean {
  return fileName === name || fileName.startsWith(`${name}.`);
}
