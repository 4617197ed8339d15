// The delta jobs a release queued, in SQLite: one row per (app, source, target) until the job is done.
import { nowIso, type Db } from '../db';

export interface DeltaJobRow { id: number; app_id: number; name: string; source: number; target: number; queued: string; attempts: number }

export function deltaJobRepository(db: Db) {
  const insert = db.prepare('INSERT OR IGNORE INTO delta_jobs (app_id, source, target, queued) VALUES (?, ?, ?, ?)');
  // Jobs never started come before retries, so one failing job does not hold the others back.
  const next = db.prepare<[], DeltaJobRow>(
    `SELECT j.*, a.name FROM delta_jobs j JOIN apps a ON a.id = j.app_id ORDER BY j.attempts, j.id LIMIT 1`);
  const started = db.prepare('UPDATE delta_jobs SET attempts = attempts + 1 WHERE id = ?');
  const uncount = db.prepare('UPDATE delta_jobs SET attempts = attempts - 1 WHERE id = ? AND attempts > 0');
  const remove = db.prepare('DELETE FROM delta_jobs WHERE id = ?');
  const all = db.prepare<[], DeltaJobRow>('SELECT j.*, a.name FROM delta_jobs j JOIN apps a ON a.id = j.app_id ORDER BY j.id');
  return {
    /** Queues target's deltas from each source (a pair already queued stays as it is). */
    queue(appId: number, target: number, sources: number[]): void {
      const now = nowIso();
      for (const source of sources) insert.run(appId, source, target, now);
    },
    next: (): DeltaJobRow | undefined => next.get(),
    /** Counted before the run: a run the store died in counts too. */
    started: (id: number): void => { started.run(id); },
    /** A run the store stopped on purpose is not the job's fault. */
    uncount: (id: number): void => { uncount.run(id); },
    remove: (id: number): void => { remove.run(id); },
    all: (): DeltaJobRow[] => all.all(),
  };
}
export type DeltaJobRepository = ReturnType<typeof deltaJobRepository>;
