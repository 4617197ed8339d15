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
  /** Hashed bins: 2^binBitLength bins (fixed at init). */
  binBitLength: number;
  /** Cache-Control max-age of timestamp.json (every other metadata and target file is immutable). */
  timestampMaxAgeSeconds: number;
  /** A connection with no traffic for this long is closed (a stalled upload frees its temp file). */
  socketIdleTimeoutSeconds: number;
  /** Most results returned by a search. */
  maxSearchResults: number;
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
  timestampMaxAgeSeconds: 10,
  socketIdleTimeoutSeconds: 120,
  maxSearchResults: 50,
};

export function resolveSettings(partial: Partial<StoreSettings> = {}): StoreSettings {
  const s = { ...DEFAULT_SETTINGS, ...partial };
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 0) throw new SettingError(`setting ${k} must be a non-negative integer, got ${String(v)}`);
  }
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
    keys: join(dataDir, 'keys'),
    repo,
    metadata: join(repo, 'metadata'),
    targets: join(repo, 'targets'),
  };
}
