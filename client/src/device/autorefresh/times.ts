// What `skiff refresh --time` and the agent's system info show: the timer, the last and next check, every hold.
import type { Device } from '../device';
import { RefreshRecords } from './records';
import { checkTime, DEFAULT_REFRESH_TIMER, nextWindow, parseTimer } from './schedule';
import { holdActive } from './holds';

export interface RefreshTimes {
  timer: string;
  /** The last check (RFC 3339), or null when none was made. */
  last: string | null;
  /** The last automatic refresh that changed an app, or null. */
  lastRefresh: string | null;
  /** When the agent plans the next check; without a plan, the start of the next window. */
  next: string | null;
  holds: { all: string | null; apps: { name: string; until: string }[] };
}

/** The timer in force: refresh.timer, or the default when a stored value no longer parses. */
export function timerInForce(device: Device): string {
  const timer = device.state.configGet('refresh.timer') ?? DEFAULT_REFRESH_TIMER;
  try { parseTimer(timer); return timer; } catch { return DEFAULT_REFRESH_TIMER; }
}

export function refreshTimes(device: Device, now = new Date()): RefreshTimes {
  const records = new RefreshRecords(device.state);
  const timer = timerInForce(device);
  const last = records.lastCheck();
  const planned = records.planned();
  let next: Date | null = planned && planned.timer === timer && planned.at >= now ? planned.at : null;
  if (!next) {
    const w = nextWindow(parseTimer(timer), now, last);
    next = w && checkTime(w, now, () => 0);
  }
  return {
    timer,
    last: last?.toISOString() ?? null,
    lastRefresh: records.lastRefresh()?.toISOString() ?? null,
    next: next?.toISOString() ?? null,
    holds: {
      all: records.globalHold(now),
      apps: records.holds().filter((h) => holdActive(h.until, now)).map((h) => ({ name: h.name, until: h.until })),
    },
  };
}

export function formatRefreshTimes(t: RefreshTimes): string {
  return [
    `timer:   ${t.timer}`,
    `last:    ${t.last ?? 'never'}${t.lastRefresh ? ` (last refresh of an app: ${t.lastRefresh})` : ''}`,
    `next:    ${t.next ?? 'none'}`,
    `hold:    ${t.holds.all ? `every app until ${t.holds.all} (refresh.hold)` : 'none on every app'}`,
    ...t.holds.apps.map((h) => `  ${h.name} held until ${h.until}`),
  ].join('\n');
}
