// Holds: until when automatic refresh leaves an app (or every app) where it is. The owner decides, not the agent.

/** A hold with no end. */
export const FOREVER = 'forever';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** What --hold takes: `forever`, or a duration such as 90m, 12h, 7d, 2w or 1d12h. */
export const HOLD_GRAMMAR = '"forever" or a duration such as 90m, 12h, 7d, 2w or 1d12h';

/** A --hold value's milliseconds (or FOREVER); null when it is not one (then it may be an app's name). */
export function parseHoldDuration(text: string): number | typeof FOREVER | null {
  if (text === FOREVER) return FOREVER;
  if (!/^(\d+[smhdw])+$/.test(text)) return null;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms > 0 ? ms : null;
}

/** The stored form of a hold: FOREVER, or the RFC 3339 time it ends. */
export function holdUntil(duration: number | typeof FOREVER, now: Date): string {
  return duration === FOREVER ? FOREVER : new Date(now.getTime() + duration).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function holdActive(until: string, now: Date): boolean {
  return until === FOREVER || Date.parse(until) > now.getTime();
}

/** The check of the refresh.hold setting: empty (no hold), FOREVER, or an RFC 3339 time. */
export function holdSettingProblem(value: string): string | null {
  if (value === '' || value === FOREVER || (RFC3339.test(value) && Number.isFinite(Date.parse(value)))) return null;
  return 'must be an RFC 3339 time (e.g. 2026-12-24T08:00:00Z), "forever", or "" for no hold';
}
