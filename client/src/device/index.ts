export { openDevice, type Device } from './device';
export type { Grant } from './grants';
export { DevicePaths } from './paths';
export * from './errors';
export { DeviceOps, type OpsOptions } from './ops';
