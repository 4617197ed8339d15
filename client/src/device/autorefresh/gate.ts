// Whether an automatic refresh of one app to one revision may run now: holds, failed revisions backed off,
// and running processes waited for. A manual `skiff refresh NAME` passes none of these gates.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { appCgroupDirs, HOOK_RUN_PREFIX, probeCgroups } from '@skiff/confinement';
import { parseHoldDuration } from './holds';
import type { FailureRow, RefreshRecords } from './records';
import type { DeviceState } from '../state';

/** Hours a failed revision is left alone after its 1st, 2nd, … failure (the last one repeats): 8 h up to 2 weeks. */
export const FAILED_REVISION_BACKOFF_HOURS: readonly number[] = [8, 12, 24, 48, 96, 192, 336];
const HOUR_MS = 3_600_000;

export interface GateVerdict { status: 'held' | 'backoff' | 'postponed'; message: string }

/** When a failed revision may be tried again automatically. */
export function retryAfter(f: FailureRow): Date {
  const hours = FAILED_REVISION_BACKOFF_HOURS[Math.min(f.count, FAILED_REVISION_BACKOFF_HOURS.length) - 1]!;
  return new Date(Date.parse(f.last_at) + hours * HOUR_MS);
}

/** The cgroups of an app's running launches (`skiff run` and its wrappers; hooks are the refresh's own). */
export function runningLaunches(name: string): string[] {
  let dirs: string[];
  try { dirs = appCgroupDirs(probeCgroups(), name); } catch { return []; } // no cgroups: nothing can be told
  return dirs.filter((d) => !basename(d).startsWith(`${name}.${HOOK_RUN_PREFIX}`)).filter((d) => {
    try { return readFileSync(`${d}/cgroup.procs`, 'utf8').trim() !== ''; } catch { return false; } // gone meanwhile
  });
}

/** Why app `name` is not refreshed to `rev` automatically at `now`, or null when it may be. Records the start of a postponement. */
export function autoRefreshGate(state: DeviceState, records: RefreshRecords, name: string, rev: number, now: Date): GateVerdict | null {
  const hold = records.holdOn(name, now);
  if (hold) return { status: 'held', message: `${name} is held until ${hold.until}${hold.scope === 'all' ? ' (refresh.hold)' : ''}` };
  const failed = records.failure(name, rev);
  if (failed && retryAfter(failed) > now) {
    return { status: 'backoff', message: `${name}: revision ${rev} failed ${failed.count} time(s); not tried again automatically before ${retryAfter(failed).toISOString()}` };
  }
  const running = runningLaunches(name);
  if (running.length === 0) { records.setPostponedSince(name, null); return null; }
  const since = records.postponedSince(name) ?? (records.setPostponedSince(name, now), now);
  const maxMs = parseHoldDuration(state.configGet('refresh.max-postpone')!) as number;
  if (now.getTime() - since.getTime() >= maxMs) return null; // waited long enough: refresh under them
  return { status: 'postponed', message: `${name}: refresh to revision ${rev} waits for ${running.length} running process group(s) to end (since ${since.toISOString()}, at most refresh.max-postpone)` };
}
