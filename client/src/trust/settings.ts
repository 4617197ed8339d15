// Security and robustness limits of the device's trust and download code, each named with its unit.

import type { HttpSettings, RetryPolicy } from '../http';

const KiB = 1024;
const MB = 1000 * 1000;

/** HTTP limits (redirects: TUF checks the bytes, not the host) and retries are the HTTP client's, plus these. */
export interface TrustSettings extends HttpSettings, RetryPolicy {
  /** Byte caps on metadata files: a store (or a man in the middle) cannot feed us endless data. */
  timestampMaxBytes: number;
  snapshotMaxBytes: number;
  targetsMaxBytes: number;
  rootMaxBytes: number;
  /** Cap on an app's channel map target (apps/<name>/channels.json), whatever length the store signed. */
  channelMapMaxBytes: number;
  /** Most root versions walked in one refresh (key rotations). */
  maxRootRotations: number;
  /** Time allowed for a whole metadata file (small; cuts a slow drip), in milliseconds. */
  metadataTimeoutMs: number;
  /** Free space that must remain on the bundle's filesystem after a download, in bytes. */
  freeDiskMarginBytes: number;
}

export const defaultTrustSettings: Readonly<TrustSettings> = Object.freeze({
  timestampMaxBytes: 16 * KiB,
  snapshotMaxBytes: 2 * MB,
  targetsMaxBytes: 5 * MB,
  rootMaxBytes: 512 * KiB,
  channelMapMaxBytes: 1 * MB,
  maxRootRotations: 32,
  requestTimeoutMs: 30_000,
  stallTimeoutMs: 30_000,
  metadataTimeoutMs: 60_000,
  retries: 4,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 8_000,
  freeDiskMarginBytes: 32 * MB,
  maxRedirects: 5,
  userAgent: 'skiff-device',
});

/** Merges caller overrides over the defaults, refusing values that would disable a limit. */
export function trustSettings(overrides: Partial<TrustSettings> = {}): TrustSettings {
  const merged = { ...defaultTrustSettings, ...overrides };
  for (const [key, value] of Object.entries(merged)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) {
      throw new TypeError(`trust setting ${key} must be a finite number >= 0, got ${value}`);
    }
  }
  return merged;
}
