// The public API of the native mechanism (issue 5): mounts of bundles and confined launches.
// Names here are a contract with client/ and confinement/: add, never rename.
export { LaunchError, MountError } from './errors';
export { mountBundle, mountVolume, refreshLoopCapacity, unmount, isMounted, findMount } from './mount';
export type { MountInfo } from './mount';
export { spawn, wait, kill, launcherPath, compileSeccomp } from './spawn';
export type { SpawnOptions } from './spawn';
export { validatePlan } from './validate';
export { BUILD_DIR_ENV } from './loader';
