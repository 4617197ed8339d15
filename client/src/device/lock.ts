import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceState } from './state';
import { ChangeInProgressError } from './errors';

/** Milliseconds between two looks at a held lock while waiting. */
export const LOCK_POLL_MS = 100;
/** Milliseconds a command waits for the lock before giving up (a change may download a large bundle). */
export const LOCK_WAIT_MS = 30 * 60_000;

interface LockRow { pid: number; start_time: string; change_id: number | null; since: string }

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or null if gone (or a zombie: dead, not yet reaped). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? null : fields[19] ?? null;
  } catch { return null; }
}

/** A holder is alive when its pid exists with the same start time (so a reused pid does not count). */
function holderAlive(row: LockRow): boolean {
  return processStartTime(row.pid) === row.start_time;
}

/** The device lock: one change at a time, held as a row in state.db by a live process. */
export class DeviceLock {
  private constructor(private readonly state: DeviceState) {}

  /** Takes the lock; waits for a live holder unless `wait` is false; takes it over from a dead one. */
  static async acquire(state: DeviceState, opts: { wait: boolean; waitMs?: number }): Promise<DeviceLock> {
    const me = { pid: process.pid, start: processStartTime(process.pid) ?? '0' };
    const deadline = Date.now() + (opts.waitMs ?? LOCK_WAIT_MS);
    for (;;) {
      const holder = state.tx(() => {
        const row = state.db.prepare('SELECT * FROM lock WHERE id = 1').get() as LockRow | undefined;
        if (row && row.pid !== me.pid && holderAlive(row)) return row;
        state.db.prepare('INSERT OR REPLACE INTO lock (id, pid, start_time, change_id, since) VALUES (1, ?, ?, NULL, ?)')
          .run(me.pid, me.start, new Date().toISOString());
        return null;
      });
      if (!holder) return new DeviceLock(state);
      if (!opts.wait || Date.now() > deadline) {
        const change = holder.change_id === null ? undefined
          : state.db.prepare('SELECT summary FROM changes WHERE id = ?').get(holder.change_id) as { summary: string } | undefined;
        throw new ChangeInProgressError(holder.change_id, change?.summary ?? '', holder.pid);
      }
      await sleep(LOCK_POLL_MS);
    }
  }

  /** The live holder of the lock, if any (for read-only commands that skip recovery while a change runs). */
  static holder(state: DeviceState): { pid: number; changeId: number | null } | null {
    const row = state.db.prepare('SELECT * FROM lock WHERE id = 1').get() as LockRow | undefined;
    return row && holderAlive(row) && row.pid !== process.pid ? { pid: row.pid, changeId: row.change_id } : null;
  }

  /** The change this process runs under the lock, if it holds it and runs one. */
  static ownChange(state: DeviceState): number | null {
    const row = state.db.prepare('SELECT * FROM lock WHERE id = 1').get() as LockRow | undefined;
    return row && row.pid === process.pid ? row.change_id : null;
  }

  /** Records which change runs under the lock, so a waiting command can name it. */
  setChange(id: number | null): void {
    this.state.db.prepare('UPDATE lock SET change_id = ? WHERE id = 1 AND pid = ?').run(id, process.pid);
  }

  release(): void {
    if (this.state.db.open) this.state.db.prepare('DELETE FROM lock WHERE id = 1 AND pid = ?').run(process.pid);
  }
}
