// Policy: turns a manifest, granted permissions and device limits into a LaunchPlan.
export type { LaunchPlan } from '@skiff/native';
export * from './context';
export * from './errors';
export * from './limits';
export * from './plugs';
export { mountTable, probeHost, type HostLayout, type AppPaths, appPaths } from './mounts';
export { seccompPlan, BASE_SYSCALLS, DENIED_IOCTLS } from './seccomp';
export { detectCgroups, probeCgroups, probeCgroup2, cgroupLimits, appCgroupDirs, launchCgroupPath, staleLaunchCgroups, CGROUP_PARENT, HOOK_RUN_PREFIX, SANDBOX_INIT_PIDS, type CgroupLayout } from './cgroups';
export { appEnv } from './env';
export * from './output';
export { resolveTarget, planPath, wrapperPaths } from './plan';
export { wrapperPlan, wrapperScript, isFileOfApp } from './wrappers';
export const PART = 'confinement';
