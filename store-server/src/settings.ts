import { join } from 'node:path';
import { SettingError } from './errors';

/** Limits and timings of a store; every value carries its unit in its name. */
export interface StoreSettings {
  /** Largest bundle accepted by an upload. */
  maxUploadBytes: number;
  /** Lifetime of a freshly signed timestamp. */
  timestampExpirySeconds: number;
  /** The running server re-signs the timestamp when it expires within this margin. */
  timestampResignMarginSeconds: number;
  /** Lifetime of snapshot metadata; re-signed by the server within `onlineResignMarginSeconds`. */
  snapshotExpirySeconds: number;
  /** Lifetime of the targets role and the hashed bins. */
  targetsExpirySeconds: number;
  /** Snapshot, targets and bins are re-signed when they expire within this margin. */
  onlineResignMarginSeconds: number;
  /** Lifetime of root metadata written by `init`. */
  rootExpirySeconds: number;
  /** How often the server checks for metadata close to expiry. */
  expiryCheckIntervalSeconds: number;
  /**
   * A superseded version of snapshot, targets or a bin is deleted once its successor is this old. Safe
   * when at least timestampExpirySeconds: every timestamp that could still lead to it has expired.
   */
  metadataRetentionSeconds: number;
  /** How often the server looks for superseded metadata to delete. */
  pruneIntervalSeconds: number;
  /** Hashed bins at init: 2^binBitLength bins (`skiff-store rebin` changes them later). */
  binBitLength: number;
  /** gzip level (1..9) of the .gz copy written beside each versioned metadata file for static servers; 0: none. */
  metadataGzipLevel: number;
  /** Cache-Control max-age of timestamp.json (every other metadata and target file is immutable). */
  timestampMaxAgeSeconds: number;
  /** A connection with no traffic for this long is closed (keep-alive connections between requests). */
  socketIdleTimeoutSeconds: number;
  /** A keep-alive connection waits this long for its next request (each one held costs a file descriptor). */
  keepAliveTimeoutSeconds: number;
  /** A request's headers must all arrive within this; a client trickling them is cut (408). */
  headersTimeoutSeconds: number;
  /** A whole request, body included, must arrive within this (the largest upload over a slow link). */
  requestTimeoutSeconds: number;
  /** The minimum upload rate is checked over windows of this length. */
  uploadRateIntervalSeconds: number;
  /** An upload that brings fewer bytes than this in one window is cut, and its temp file removed. */
  uploadMinBytesPerInterval: number;
  /** Open connections the server accepts at once; beyond it new ones are closed (each costs a file descriptor). */
  maxConnections: number;
  /** Uploads one account may have in flight at once (each holds a connection and a temp file). */
  maxUploadsInFlightPerAccount: number;
  /** App names one account may register. */
  maxNamesPerAccount: number;
  /** Largest JSON request body (every JSON route takes a few fields). */
  maxJsonBodyBytes: number;
  /** Most results returned by a search. */
  maxSearchResults: number;
  /** Results on one page of the store's search page. */
  searchPageSize: number;
  /** Apps listed as recently updated on the home page. */
  recentAppsOnHome: number;
  /** A publisher signed in on the pages is signed out this long after signing in. */
  sessionLifetimeSeconds: number;
  /** Page sessions held at once (in memory); past it the oldest is dropped. */
  maxSessions: number;
  /** Rendered public pages kept until the database changes (0: render every request). */
  pageCacheEntries: number;
  /** Proxies in front of the store whose X-Forwarded-Proto/-For are believed (0: none); behind TLS this makes cookies Secure. */
  trustProxyHops: number;
  /** Deltas made for a release: from this many earlier revisions of each channel it enters (0: none). */
  deltaSourceRevisions: number;
  /** One delta may take this long to compute (its worker is killed after it). */
  deltaTimeoutSeconds: number;
  /** Heap of the worker computing a delta, and the read queues of its unsquashfs (MiB). */
  deltaMemoryMiB: number;
  /** A delta is published only when smaller than this percentage of the full bundle. */
  deltaMaxPercentOfBundle: number;
  /** zstd level of deltas (made once, downloaded by many). */
  deltaCompressionLevel: number;
  /** Runs of one delta job before it is dropped (a worker that fails or times out, or a store that dies during it, uses one). */
  deltaJobAttempts: number;
  /** SQLite copies the WAL into the database after a commit that leaves it this many pages (4 KiB each) long. */
  walAutocheckpointPages: number;
  /** After a checkpoint the WAL file is truncated to this many bytes (SQLite's journal_size_limit). */
  walSizeLimitBytes: number;
}

const DAY = 24 * 3600;

export const DEFAULT_SETTINGS: StoreSettings = {
  maxUploadBytes: 512 * 1024 * 1024,
  timestampExpirySeconds: DAY,
  timestampResignMarginSeconds: 6 * 3600,
  snapshotExpirySeconds: 7 * DAY,
  targetsExpirySeconds: 365 * DAY,
  onlineResignMarginSeconds: 2 * DAY,
  rootExpirySeconds: 365 * DAY,
  expiryCheckIntervalSeconds: 60,
  metadataRetentionSeconds: 2 * DAY,
  pruneIntervalSeconds: 3600,
  binBitLength: 8,
  metadataGzipLevel: 9,
  timestampMaxAgeSeconds: 10,
  socketIdleTimeoutSeconds: 120,
  keepAliveTimeoutSeconds: 5,
  headersTimeoutSeconds: 20,
  // 512 MiB at 150 KB/s.
  requestTimeoutSeconds: 3600,
  uploadRateIntervalSeconds: 10,
  uploadMinBytesPerInterval: 10 * 1024,
  maxConnections: 500,
  maxUploadsInFlightPerAccount: 4,
  maxNamesPerAccount: 100,
  maxJsonBodyBytes: 64 * 1024,
  maxSearchResults: 50,
  searchPageSize: 20,
  recentAppsOnHome: 12,
  sessionLifetimeSeconds: 8 * 3600,
  maxSessions: 10_000,
  trustProxyHops: 0,
  pageCacheEntries: 1000,
  deltaSourceRevisions: 2,
  deltaTimeoutSeconds: 600,
  deltaMemoryMiB: 256,
  deltaMaxPercentOfBundle: 50,
  deltaCompressionLevel: 19,
  deltaJobAttempts: 3,
  walAutocheckpointPages: 1000,
  walSizeLimitBytes: 16 * 1024 * 1024,
};

export function resolveSettings(partial: Partial<StoreSettings> = {}): StoreSettings {
  const s = { ...DEFAULT_SETTINGS, ...partial };
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 0) throw new SettingError(`setting ${k} must be a non-negative integer, got ${String(v)}`);
  }
  for (const k of ['keepAliveTimeoutSeconds', 'headersTimeoutSeconds', 'requestTimeoutSeconds', 'uploadRateIntervalSeconds', 'maxConnections', 'maxUploadsInFlightPerAccount', 'searchPageSize', 'sessionLifetimeSeconds', 'maxSessions', 'deltaJobAttempts', 'walAutocheckpointPages'] as const) {
    if (s[k] < 1) throw new SettingError(`setting ${k} must be at least 1: 0 would turn the limit off`);
  }
  if (s.headersTimeoutSeconds > s.requestTimeoutSeconds) throw new SettingError('setting headersTimeoutSeconds must not exceed requestTimeoutSeconds');
  if (s.deltaCompressionLevel < 1 || s.deltaCompressionLevel > 19) throw new SettingError('setting deltaCompressionLevel must be within 1..19');
  if (s.deltaMaxPercentOfBundle > 100) throw new SettingError('setting deltaMaxPercentOfBundle must be at most 100');
  if (s.deltaMemoryMiB < 64) throw new SettingError('setting deltaMemoryMiB must be at least 64');
  if (s.metadataGzipLevel > 9) throw new SettingError('setting metadataGzipLevel must be within 0..9');
  if (s.binBitLength < 1 || s.binBitLength > 16) throw new SettingError('setting binBitLength must be within 1..16');
  if (s.timestampResignMarginSeconds >= s.timestampExpirySeconds) {
    throw new SettingError('setting timestampResignMarginSeconds must be smaller than timestampExpirySeconds');
  }
  if (s.metadataRetentionSeconds < s.timestampExpirySeconds) {
    throw new SettingError('setting metadataRetentionSeconds must be at least timestampExpirySeconds');
  }
  return s;
}

/** Where a store keeps its state under its data folder. */
export interface StorePaths {
  data: string;
  db: string;
  blobs: string;
  tmp: string;
  /** Where delta workers extract bundles and write deltas (cleared when the server starts). */
  deltaWork: string;
  keys: string;
  repo: string;
  metadata: string;
  targets: string;
}

export function storePaths(dataDir: string): StorePaths {
  const repo = join(dataDir, 'repo');
  return {
    data: dataDir,
    db: join(dataDir, 'store.db'),
    blobs: join(dataDir, 'blobs'),
    tmp: join(dataDir, 'tmp'),
    deltaWork: join(dataDir, 'delta-work'),
    keys: join(dataDir, 'keys'),
    repo,
    metadata: join(repo, 'metadata'),
    targets: join(repo, 'targets'),
  };
}
