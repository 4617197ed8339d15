export { openDevice, type Device } from './device';
export type { Grant } from './grants';
export * from './errors';
export { DeviceOps, type OpsOptions } from './ops';
