import { ConfigError } from './errors';

/** A device setting users may read and write with `skiff config`. */
interface Setting { default: string; check(value: string): string | null }

const intIn = (min: number, max: number) => (v: string): string | null =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `must be an integer from ${min} to ${max}`;

export const SETTINGS: Record<string, Setting> = {
  // Revisions kept per app (the current one included); older ones are pruned after a refresh.
  'refresh.retain': { default: '2', check: intIn(2, 20) },
};

export function checkSetting(key: string, value: string): void {
  const s = SETTINGS[key];
  if (!s) throw new ConfigError(`unknown config key "${key}" (known: ${Object.keys(SETTINGS).join(', ')})`, key);
  const problem = s.check(value);
  if (problem) throw new ConfigError(`${key} ${problem}, not "${value}"`, key);
}
