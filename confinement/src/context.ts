// Contract stubs for confinement policy (issue 5). Replaced by the real modules; keep these names.
import { SkiffError, type Manifest, type HookName } from '@skiff/bundle';
import type { LaunchPlan, ExitStatus } from '@skiff/native';

const todo = (what: string): never => { throw new SkiffError('not-implemented', `${what} is not implemented yet`); };

/**
 * One installed revision of an app as confinement sees it. Paths follow DESIGN.md:
 * bundle <root>/skiff/<name>/<revision>, data <root>/var/skiff/<name>/<revision>,
 * common <root>/var/skiff/<name>/common.
 */
export interface AppContext {
  root: string;
  name: string;
  revision: number;
  version: string;
  manifest: Manifest;
  /** The app's own unprivileged user and group (allocated per app by the device). */
  uid: number;
  gid: number;
  /** Plugs currently connected (granted), e.g. ['network']. */
  grants: string[];
  /** Log denied syscalls instead of blocking them. */
  devmode: boolean;
}

/** What to run: an app of the bundle (`hello` or `hello.report` → app name) or a hook. */
export type LaunchTarget = { app: string } | { hook: HookName };

export interface RunOptions {
  args?: string[];
  stdio?: [number, number, number];
  /** Kill the process (and its cgroup) after this many milliseconds. */
  timeoutMs?: number;
}

export function buildLaunchPlan(ctx: AppContext, target: LaunchTarget, args: string[] = []): LaunchPlan { void ctx; void target; void args; return todo('buildLaunchPlan'); }
/** Runs an app or hook confined and resolves with its exit status. */
export async function runConfined(ctx: AppContext, target: LaunchTarget, opts: RunOptions = {}): Promise<ExitStatus> { void ctx; void target; void opts; return todo('runConfined'); }
/** Runs a hook if the bundle has it (meta/hooks/<hook>); resolves null when it has none. */
export async function runHook(ctx: AppContext, hook: HookName, opts: RunOptions = {}): Promise<ExitStatus | null> { void ctx; void hook; void opts; return todo('runHook'); }
/** Writes the launch plans and the `<root>/skiff/bin/<name>[.<app>]` wrappers that exec skiff-launch. */
export function writeWrappers(ctx: AppContext): string[] { void ctx; return todo('writeWrappers'); }
/** Removes an app's wrappers and plans. */
export function removeWrappers(root: string, name: string): void { void root; void name; todo('removeWrappers'); }
