export * from './plan';
export * from './api';
export { removeEmptyCgroups, killCgroups } from './cgroups';
