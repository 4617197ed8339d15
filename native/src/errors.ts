// Errors of the native mechanism: a small tree under SkiffError, so callers branch on instanceof or code.
import { SkiffError } from '@skiff/bundle/errors';

/**
 * A launch failed before exec: `step` names the step (e.g. 'pivot_root', 'bind', 'cgroup_create'),
 * `errno` the cause, and `row` the index of the mount row being executed, when there was one.
 */
export class LaunchError extends SkiffError {
  constructor(message: string, readonly step: string, readonly errno: number, readonly row?: number) { super('launch-failed', message); }
}

/** A mount or unmount failed, or the caller is not root. `errno` is 0 when no syscall failed. */
export class MountError extends SkiffError {
  constructor(message: string, readonly target: string, readonly errno: number = 0) { super('mount-failed', message); }
}

/** The shape of an error thrown by the C++ side: the failed step, its errno, and the mount row (-1 for none). */
/** row: the mount row a launch was executing; path: the entry a data-tree walk was on (relative to its top). */
export interface NativeFailure extends Error { step: string; errno: number; description: string; row?: number; path?: string }

export function isNativeFailure(e: unknown): e is NativeFailure {
  return e instanceof Error && typeof (e as Partial<NativeFailure>).step === 'string'
    && typeof (e as Partial<NativeFailure>).errno === 'number';
}

/**
 * A copy or delete of app data stopped: `step` names the call (e.g. 'openat2', 'unlinkat'), `path`
 * the entry it worked on, relative to the tree ('' for the top), `errno` the cause.
 */
export class DataTreeError extends SkiffError {
  constructor(message: string, readonly step: string, readonly path: string, readonly errno: number) { super('data-tree-failed', message); }
}

/** Freezing or thawing an app's cgroup failed or did not settle in time; `errno` 0 for a timeout. */
export class FreezeError extends SkiffError {
  constructor(message: string, readonly cgroup: string, readonly errno: number = 0) { super('freeze-failed', message); }
}
