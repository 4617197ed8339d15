import { parseSize } from '@skiff/bundle';
import { ConfigError } from './errors';
import { DEFAULT_REFRESH_TIMER, TIMER_GRAMMAR, TimerSyntaxError, parseTimer } from './autorefresh/schedule';
import { FOREVER, holdSettingProblem, parseHoldDuration } from './autorefresh/holds';
import { ARCHITECTURE_SETTING, checkArchitectureSetting, kernelArchitecture } from './architecture';

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

const timer = (v: string): string | null => {
  try { parseTimer(v); return null; } catch (err) {
    if (!(err instanceof TimerSyntaxError)) throw err;
    return `is not a timer (${err.why}; the grammar: ${TIMER_GRAMMAR})`;
  }
};

const duration = (v: string): string | null => {
  const ms = parseHoldDuration(v);
  return ms !== null && ms !== FOREVER ? null : 'must be a duration such as 36h, 14d or 2w';
};

/** The setting that sizes each app's data volume (<root>/var/skiff/<name>). */
export const DATA_MAX_SIZE = 'data.max-size';

/** How long a `simple` service must run before a change counts it up (milliseconds). */
export const SERVICES_SETTLE_MS = 'services.settle-ms';

/** The setting that lets refresh use deltas (false: always the full bundle). */
export const REFRESH_DELTAS = 'refresh.deltas';

export const SETTINGS: Record<string, Setting> = {
  // A simple service still running after this is up: only then does an install or refresh commit.
  [SERVICES_SETTLE_MS]: { default: '10000', check: intIn(0, 600_000) },
  // A refresh downloads the store's delta from a retained revision and rebuilds the bundle, when one is published.
  [REFRESH_DELTAS]: { default: 'true', check: (v) => (v === 'true' || v === 'false' ? null : 'must be true or false') },
  // Revisions kept per app (the current one included); older ones are pruned after a refresh.
  'refresh.retain': { default: '2', check: intIn(2, 20) },
  // Bytes each app may write to its data (all revisions and common), a size with M or G; volumes are
  // sparse, so the default costs nothing until used. Raising it grows every volume; lowering is refused.
  [DATA_MAX_SIZE]: { default: '1G', check: sizeIn(MIN_DATA_BYTES, MAX_DATA_BYTES) },
  // When automatic refresh looks for updates (device/autorefresh/schedule.ts has the grammar).
  'refresh.timer': { default: DEFAULT_REFRESH_TIMER, check: timer },
  // Holds every automatic refresh until this RFC 3339 time, or forever; empty: no hold.
  'refresh.hold': { default: '', check: holdSettingProblem },
  // Longest an automatic refresh waits for an app's running processes to end, a duration (s, m, h, d, w).
  'refresh.max-postpone': { default: '14d', check: duration },
  // The architecture whose builds install and refresh here; the kernel's unless set.
  [ARCHITECTURE_SETTING]: { default: kernelArchitecture(), check: checkArchitectureSetting },
};

export function checkSetting(key: string, value: string): void {
  const s = SETTINGS[key];
  if (!s) throw new ConfigError(`unknown config key "${key}" (known: ${Object.keys(SETTINGS).join(', ')})`, key);
  const problem = s.check(value);
  if (problem) throw new ConfigError(`${key} ${problem}, not "${value}"`, key);
}
