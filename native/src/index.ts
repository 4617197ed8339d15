export * from './plan';
export * from './api';
export { removeEmptyCgroups } from './cgroups';
