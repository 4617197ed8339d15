export { openDevice, type Device } from './device';
export type { Grant } from './grants';
export * from './errors';
export { DeviceOps, type OpsOptions } from './ops';
export { runConfined, runCaptured, runHook, type RunOptions, type CaptureOptions, type CapturedRun } from './run';
export { writeWrappers, removeWrappers } from './wrappers';
