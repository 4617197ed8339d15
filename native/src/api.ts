// The public API of the native mechanism (issue 5): mounts of bundles and confined launches.
// Names here are a contract with client/ and confinement/: add, never rename.
import { SkiffError } from '@skiff/bundle';
import type { LaunchPlan, ExitStatus } from './plan';

export { LaunchError, MountError } from './errors';
export { mountBundle, unmount, isMounted, findMount } from './mount';
export type { MountInfo } from './mount';

const todo = (what: string): never => { throw new SkiffError('not-implemented', `${what} is not implemented yet`); };

/** Starts one confined process; throws LaunchError naming the failed step. Returns its pid. */
export function spawn(plan: LaunchPlan, opts: { stdio?: [number, number, number] } = {}): number { void plan; void opts; return todo('spawn'); }
/** Resolves when pid exits (without blocking the event loop), then removes its cgroup. */
export async function wait(pid: number): Promise<ExitStatus> { void pid; return todo('wait'); }
/** Path of the standalone `skiff-launch` executable: `skiff-launch PLAN.json [ARGS...]`. */
export function launcherPath(): string { return todo('launcherPath'); }
