// The public API of the native mechanism: mounts of bundles and confined launches.
// Names here are a contract with client/ and confinement/: add, never rename.
export { LaunchError, MountError } from './errors';
export { mountBundle, mountVolume, refreshLoopCapacity, unmount, isMounted, findMount, parseMountInfo } from './mount';
export type { MountInfo } from './mount';
export { spawn, wait, kill, openPipe, launcherPath, shimPath, compileSeccomp } from './spawn';
export type { SpawnOptions } from './spawn';
export { runPlan, runPlanCaptured } from './run';
export type { RunPlanOptions, CapturedRunOptions } from './run';
export { OUTPUT_DRAIN_MS, type OutputStream, type OutputSink } from './capture';
export { validatePlan, ID_MAX } from './validate';
export { BUILD_DIR_ENV } from './loader';
// Issue 9: app data copied and deleted by fd, never by a path the app controls; apps frozen meanwhile.
export { DataTreeError, FreezeError } from './errors';
export { copyDataTree, removeDataTree, DATA_TREE_MAX_DEPTH } from './datatree';
export type { DataOwner, SkippedEntry, DataTreeOptions } from './datatree';
export { freezeCgroup, thawCgroup, FREEZE_TIMEOUT_MS } from './freezer';
// Issue 12: services, each under a skiff-shim that records it and writes its log.
export { startShim, readShimStatus, watchShim, shimStatusFile, shimControlSocket, SHIM_LOG_DEFAULTS } from './shim';
export type { ShimOptions, ShimStatus, ShimLogSettings } from './shim';
