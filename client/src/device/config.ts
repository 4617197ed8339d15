import { parseSize } from '@skiff/bundle';
import { ConfigError } from './errors';

/** A device setting users may read and write with `skiff config`. */
interface Setting { default: string; check(value: string): string | null }

const intIn = (min: number, max: number) => (v: string): string | null =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `must be an integer from ${min} to ${max}`;

/** Bounds of data.max-size, in bytes: below 64M ext4's journal and metadata leave an app little room. */
const MIN_DATA_BYTES = 64 * 1024 ** 2;
const MAX_DATA_BYTES = 1024 * 1024 ** 3;

const sizeIn = (min: number, max: number) => (v: string): string | null => {
  const bytes = /^[0-9]+[MG]$/.test(v) ? parseSize(v) : NaN;
  return bytes >= min && bytes <= max ? null : 'must be a size from 64M to 1024G (a number with M or G)';
};

/** The setting that sizes each app's data volume (<root>/var/skiff/<name>). */
export const DATA_MAX_SIZE = 'data.max-size';

/** The setting that lets refresh use deltas (false: always the full bundle). */
export const REFRESH_DELTAS = 'refresh.deltas';

export const SETTINGS: Record<string, Setting> = {
  // A refresh downloads the store's delta from a retained revision and rebuilds the bundle, when one is published.
  [REFRESH_DELTAS]: { default: 'true', check: (v) => (v === 'true' || v === 'false' ? null : 'must be true or false') },
  // Revisions kept per app (the current one included); older ones are pruned after a refresh.
  'refresh.retain': { default: '2', check: intIn(2, 20) },
  // Bytes each app may write to its data (all revisions and common), a size with M or G; volumes are
  // sparse, so the default costs nothing until used. Raising it grows every volume; lowering is refused.
  [DATA_MAX_SIZE]: { default: '1G', check: sizeIn(MIN_DATA_BYTES, MAX_DATA_BYTES) },
};

export function checkSetting(key: string, value: string): void {
  const s = SETTINGS[key];
  if (!s) throw new ConfigError(`unknown config key "${key}" (known: ${Object.keys(SETTINGS).join(', ')})`, key);
  const problem = s.check(value);
  if (problem) throw new ConfigError(`${key} ${problem}, not "${value}"`, key);
}
