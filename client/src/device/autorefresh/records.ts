// What automatic refresh keeps in state.db, so holds, backoffs, postponements and the last check survive restarts.
import type { DeviceState } from '../state';
import { holdActive } from './holds';

export interface HoldRow { name: string; until: string; at: string }
export interface FailureRow { name: string; rev: number; count: number; last_at: string }

/** Keys of refresh_state. */
const LAST_CHECK = 'last-check';
const LAST_REFRESH = 'last-refresh';
const PLANNED = 'planned';
const CLEAN = 'clean-fingerprint';
const postponedKey = (name: string): string => `postponed:${name}`;

/** Holds, failed revisions and the agent's own record, over the device's state.db. */
export class RefreshRecords {
  constructor(private readonly state: DeviceState) {}

  // --- holds of one app (the hold of all apps is the refresh.hold setting)

  holds(): HoldRow[] { return this.state.db.prepare('SELECT * FROM holds ORDER BY name').all() as HoldRow[]; }
  hold(name: string): HoldRow | undefined {
    return this.state.db.prepare('SELECT * FROM holds WHERE name = ?').get(name) as HoldRow | undefined;
  }
  putHold(name: string, until: string): void {
    this.state.db.prepare(`INSERT INTO holds (name, until, at) VALUES (?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET until = excluded.until, at = excluded.at`).run(name, until, new Date().toISOString());
  }
  deleteHold(name: string): void { this.state.db.prepare('DELETE FROM holds WHERE name = ?').run(name); }
  deleteAllHolds(): void { this.state.db.prepare('DELETE FROM holds').run(); }

  /** The hold in force on an app at `now`: its own, else the device's (refresh.hold); null when none. */
  holdOn(name: string, now: Date): { until: string; scope: 'app' | 'all' } | null {
    const own = this.hold(name);
    if (own && holdActive(own.until, now)) return { until: own.until, scope: 'app' };
    const all = this.globalHold(now);
    return all ? { until: all, scope: 'all' } : null;
  }
  /** refresh.hold when it is in force at `now`. */
  globalHold(now: Date): string | null {
    const all = this.state.configGet('refresh.hold') ?? '';
    return all !== '' && holdActive(all, now) ? all : null;
  }

  // --- failed revisions, backed off

  failure(name: string, rev: number): FailureRow | undefined {
    return this.state.db.prepare('SELECT * FROM refresh_failures WHERE name = ? AND rev = ?').get(name, rev) as FailureRow | undefined;
  }
  recordFailure(name: string, rev: number, now: Date): void {
    this.state.db.prepare(`INSERT INTO refresh_failures (name, rev, count, last_at) VALUES (?, ?, 1, ?)
      ON CONFLICT(name, rev) DO UPDATE SET count = count + 1, last_at = excluded.last_at`).run(name, rev, now.toISOString());
  }
  clearFailures(name: string): void { this.state.db.prepare('DELETE FROM refresh_failures WHERE name = ?').run(name); }

  // --- the agent's record

  private get(key: string): string | undefined {
    return (this.state.db.prepare('SELECT value FROM refresh_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }
  private put(key: string, value: string | null): void {
    if (value === null) this.state.db.prepare('DELETE FROM refresh_state WHERE key = ?').run(key);
    else this.state.db.prepare('INSERT INTO refresh_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
  private date(key: string): Date | undefined { const v = this.get(key); return v === undefined ? undefined : new Date(v); }

  /** The last check that reached the store (or was held): its window is used. */
  lastCheck(): Date | undefined { return this.date(LAST_CHECK); }
  setLastCheck(at: Date): void { this.put(LAST_CHECK, at.toISOString()); }
  /** The last automatic refresh that changed an app. */
  lastRefresh(): Date | undefined { return this.date(LAST_REFRESH); }
  setLastRefresh(at: Date): void { this.put(LAST_REFRESH, at.toISOString()); }

  /** The check the agent has planned, and under which timer (so a changed timer is not shown stale). */
  planned(): { at: Date; timer: string } | undefined {
    const v = this.get(PLANNED);
    if (v === undefined) return undefined;
    const p = JSON.parse(v) as { at: string; timer: string };
    return { at: new Date(p.at), timer: p.timer };
  }
  setPlanned(at: Date | null, timer: string): void { this.put(PLANNED, at && JSON.stringify({ at: at.toISOString(), timer })); }

  /** What the store and the device looked like when a check last found nothing to do. */
  cleanFingerprint(): string | undefined { return this.get(CLEAN); }
  setCleanFingerprint(fp: string | null): void { this.put(CLEAN, fp); }

  /** Since when an app's refresh has waited for its running processes. */
  postponedSince(name: string): Date | undefined { return this.date(postponedKey(name)); }
  setPostponedSince(name: string, since: Date | null): void { this.put(postponedKey(name), since && since.toISOString()); }
}
