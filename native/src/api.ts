// Contract stubs for the native mechanism (issue 5, native part). Replaced by the real loader; keep these names.
import { SkiffError } from '@skiff/bundle';
import type { LaunchPlan, ExitStatus } from './plan';

const todo = (what: string): never => { throw new SkiffError('not-implemented', `${what} is not implemented yet`); };

/** A launch failed before exec: `step` names the step (e.g. 'pivot_root'), `errno` the cause. */
export class LaunchError extends SkiffError {
  constructor(message: string, readonly step: string, readonly errno: number) { super('launch-failed', message); }
}
/** A mount or unmount failed, or the caller is not root. */
export class MountError extends SkiffError {
  constructor(message: string, readonly target: string) { super('mount-failed', message); }
}

/** Loop-mounts a squashfs file read-only (ro,nosuid,nodev) at an existing folder. */
export function mountBundle(file: string, target: string): void { void file; void target; todo('mountBundle'); }
/** Unmounts target; `lazy` detaches it (MNT_DETACH). The loop device is freed by autoclear. */
export function unmount(target: string, opts: { lazy?: boolean } = {}): void { void target; void opts; todo('unmount'); }
/** True when target is a mount point (read from /proc/self/mountinfo). */
export function isMounted(target: string): boolean { void target; return todo('isMounted'); }
/** Starts one confined process; throws LaunchError naming the failed step. Returns its pid. */
export function spawn(plan: LaunchPlan, opts: { stdio?: [number, number, number] } = {}): number { void plan; void opts; return todo('spawn'); }
/** Resolves when pid exits (without blocking the event loop), then removes its cgroup. */
export async function wait(pid: number): Promise<ExitStatus> { void pid; return todo('wait'); }
/** Path of the standalone `skiff-launch` executable: `skiff-launch PLAN.json [ARGS...]`. */
export function launcherPath(): string { return todo('launcherPath'); }
