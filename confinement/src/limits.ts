// Device limits: what an app gets when it asks for nothing, and the most it may ask for.

/** Named settings of a device, with their units; the device may override any of them. */
export interface DeviceLimits {
  /** Memory for an app that asks for none, in bytes. */
  defaultMemoryBytes: number;
  /** Most memory an app may ask for, in bytes. */
  maxMemoryBytes: number;
  /** Processes and threads for an app that asks for none. */
  defaultPids: number;
  /** Most processes and threads an app may ask for. */
  maxPids: number;
  /** CPU share (fraction of one CPU) for an app that asks for none. */
  defaultCpu: number;
  /** Largest CPU share an app may ask for. */
  maxCpu: number;
  /** CFS bandwidth period, in microseconds. */
  cpuPeriodUs: number;
  /** Size of the private /tmp and /dev/shm tmpfs, in bytes (counted in the memory cgroup too). */
  tmpBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_DEVICE_LIMITS: Readonly<DeviceLimits> = Object.freeze({
  defaultMemoryBytes: 256 * MiB,
  maxMemoryBytes: 1024 * MiB,
  defaultPids: 256,
  maxPids: 4096,
  defaultCpu: 1,
  maxCpu: 2,
  cpuPeriodUs: 100_000,
  tmpBytes: 64 * MiB,
});

/** The device's limits, its own settings merged over the defaults. */
export function deviceLimits(overrides: Partial<DeviceLimits> = {}): DeviceLimits {
  return { ...DEFAULT_DEVICE_LIMITS, ...overrides };
}
