export * from './plan';
export * from './api';
export { removeStaleCgroups, CGROUP_PARENT } from './cgroups';
