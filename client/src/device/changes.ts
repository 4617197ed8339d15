import type { DeviceState } from './state';
import { Task, type ChangeRow, type ChangeStatus, type TaskRow, type TaskSpec, type TaskStatus } from './task';
import { ChangeNotFoundError, AbortError, UndoPendingError, StoppingError } from './errors';

/** Times recovery retries a failing undo (one per command) before leaving the change in error. */
export const UNDO_ATTEMPTS = 3;
/** How often a running task looks for an abort asked by another `skiff` process. */
export const ABORT_POLL_MS = 200;

/** The do and undo of one task kind, registered together, reading params of type P. Both must be idempotent. */
export interface TaskHandler<E, P = unknown> {
  do(env: E, task: Task<P>): Promise<void>;
  undo(env: E, task: Task<P>): Promise<void>;
  /** For the commit-point task found 'doing' after a crash: did its do get past the commit point? */
  committed?(env: E, task: Task<P>): boolean;
}

export class TaskKinds<E> {
  private readonly handlers = new Map<string, TaskHandler<E>>();
  register<P>(kind: string, handler: TaskHandler<E, P>): this { this.handlers.set(kind, handler); return this; }
  get(kind: string): TaskHandler<E> {
    const h = this.handlers.get(kind);
    if (!h) throw new Error(`no handler for task kind "${kind}"`);
    return h;
  }
}

/** Test-only: SKIFF_TEST_CRASH_AT=<kind|#seq>:<do|undo>:<before|after> kills the process there. */
export function parseCrashPoint(spec: string | undefined): ((t: TaskRow, phase: 'do' | 'undo', when: 'before' | 'after') => boolean) | null {
  if (!spec) return null;
  const [target, phase, when] = spec.split(':');
  return (t, p, w) => (target === t.kind || target === `#${t.seq}`) && phase === p && when === w;
}

const now = (): string => new Date().toISOString();
const FINISHED: ReadonlySet<ChangeStatus> = new Set(['done', 'undone', 'error']);

/**
 * Runs changes: a change is a list of tasks stored before anything runs. Tasks run in order;
 * each status transition is one transaction. When a task fails (or an abort is asked before the
 * commit point) the done tasks are undone in reverse.
 */
export interface RunnerOptions {
  /** Test-only crash point (SKIFF_TEST_CRASH_AT). */
  crashAt?: string | undefined;
  /** True once the process is shutting down: no next task starts; the change is left to recovery. */
  stopping?: () => boolean;
  /** Told after every status change of a change or one of its tasks (skiffd wakes its long polls). */
  onUpdate?: (changeId: number) => void;
}

export class ChangeRunner<E> {
  private readonly crashAt: ReturnType<typeof parseCrashPoint>;

  constructor(private readonly state: DeviceState, private readonly kinds: TaskKinds<E>, private readonly env: E,
    private readonly opts: RunnerOptions = {}) {
    this.crashAt = parseCrashPoint(opts.crashAt);
  }

  /** Stores a change and its tasks in one transaction; nothing runs yet. */
  create(kind: string, summary: string, specs: TaskSpec[]): number {
    for (const s of specs) this.kinds.get(s.kind);
    return this.state.tx(() => {
      const t = now();
      const id = Number(this.state.db.prepare("INSERT INTO changes (kind, summary, status, spawn_time) VALUES (?, ?, 'doing', ?)")
        .run(kind, summary, t).lastInsertRowid);
      const ins = this.state.db.prepare(`INSERT INTO tasks (change_id, seq, kind, summary, status, commit_point, params, spawn_time)
        VALUES (?, ?, ?, ?, 'do', ?, ?, ?)`);
      specs.forEach((s, i) => ins.run(id, i + 1, s.kind, s.summary, s.commitPoint ? 1 : 0, JSON.stringify(s.params), t));
      return id;
    });
  }

  change(id: number): ChangeRow {
    const row = this.state.db.prepare('SELECT * FROM changes WHERE id = ?').get(id) as ChangeRow | undefined;
    if (!row) throw new ChangeNotFoundError(id);
    return row;
  }
  changes(): ChangeRow[] { return this.state.db.prepare('SELECT * FROM changes ORDER BY id').all() as ChangeRow[]; }
  tasks(id: number): TaskRow[] {
    this.change(id);
    return this.state.db.prepare('SELECT * FROM tasks WHERE change_id = ? ORDER BY seq').all(id) as TaskRow[];
  }
  unfinished(): ChangeRow[] {
    return this.state.db.prepare("SELECT * FROM changes WHERE status IN ('doing', 'undoing') ORDER BY id").all() as ChangeRow[];
  }

  /** True once the commit-point task's do has got past the commit point. */
  committed(id: number): boolean {
    const point = this.tasks(id).find((t) => t.commit_point === 1);
    if (!point) return false;
    if (['done'].includes(point.status)) return true;
    if (point.status !== 'doing') return false;
    const h = this.kinds.get(point.kind);
    return h.committed ? h.committed(this.env, new Task(this.state, point)) : false;
  }

  /** Asks a change to stop; it is undone at the next task boundary. Refused past its commit point. */
  requestAbort(id: number): void {
    const c = this.change(id);
    if (FINISHED.has(c.status)) throw new AbortError(`change ${id} is already ${c.status}`);
    if (this.committed(id)) throw new AbortError(`change ${id} is past its commit point; it will finish`);
    this.state.tx(() => this.state.db.prepare('UPDATE changes SET abort_requested = 1 WHERE id = ?').run(id));
  }

  /**
   * Finishes what a crash interrupted: a change past its commit point is finished (its
   * interrupted task rerun), one before it is undone, one undoing goes on undoing.
   */
  async recover(): Promise<ChangeRow[]> {
    const out: ChangeRow[] = [];
    for (const c of this.unfinished()) {
      if (c.status === 'doing' && !this.committed(c.id)) this.setChange(c.id, 'undoing', c.error ?? 'interrupted before its commit point');
      out.push(await this.run(c.id));
    }
    return out;
  }

  /** Drives a change to done, or (after a failure) undone. */
  async run(id: number): Promise<ChangeRow> {
    for (;;) {
      const c = this.change(id);
      if (FINISHED.has(c.status)) return c;
      if (this.opts.stopping?.()) throw new StoppingError(id);
      if (c.status === 'doing') {
        if (c.abort_requested && !this.committed(id)) { this.setChange(id, 'undoing', 'aborted'); continue; }
        const next = this.nextTask(id, ['doing', 'do'], 'ASC');
        if (!next) { this.setChange(id, 'done', null); continue; }
        await this.doTask(next);
      } else {
        const next = this.nextTask(id, ['doing', 'done', 'error', 'undoing'], 'DESC');
        if (!next) {
          const failedUndo = this.nextTask(id, ['undo-error'], 'ASC');
          this.state.tx(() => this.state.db.prepare("UPDATE tasks SET status = 'hold' WHERE change_id = ? AND status = 'do'").run(id));
          this.setChange(id, failedUndo ? 'error' : 'undone', undefined);
          continue;
        }
        await this.undoTask(next);
      }
    }
  }

  private nextTask(id: number, statuses: TaskStatus[], order: 'ASC' | 'DESC'): TaskRow | undefined {
    // 'doing'/'undoing' sort first: a task interrupted by a crash is the one to rerun.
    return this.state.db.prepare(`SELECT * FROM tasks WHERE change_id = ? AND status IN (${statuses.map(() => '?').join(',')})
      ORDER BY status IN ('doing', 'undoing') DESC, seq ${order} LIMIT 1`).get(id, ...statuses) as TaskRow | undefined;
  }

  private async doTask(row: TaskRow): Promise<void> {
    this.setTask(row.id, 'doing');
    this.maybeCrash(row, 'do', 'before');
    // An abort asked from another process reaches a running task through its signal (the change row is
    // polled), but only before the commit point: past it, a change finishes (a late abort is ignored).
    const aborter = new AbortController();
    const abortable = !row.commit_point && !this.committed(row.change_id);
    const poll = abortable
      ? setInterval(() => { if (this.change(row.change_id).abort_requested) aborter.abort(); }, ABORT_POLL_MS).unref()
      : undefined;
    try {
      await this.kinds.get(row.kind).do(this.env, new Task(this.state, { ...row, ...this.fresh(row.id) }, aborter.signal));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.state.tx(() => {
        this.setTask(row.id, 'error', msg);
        this.setChange(row.change_id, 'undoing', aborter.signal.aborted ? 'aborted' : msg);
      });
      return;
    } finally {
      if (poll) clearInterval(poll);
    }
    this.maybeCrash(row, 'do', 'after');
    this.setTask(row.id, 'done');
  }

  private async undoTask(row: TaskRow): Promise<void> {
    const failed = row.status === 'error' || (row.status === 'undoing' && row.error !== null);
    this.setTask(row.id, 'undoing');
    this.maybeCrash(row, 'undo', 'before');
    try {
      await this.kinds.get(row.kind).undo(this.env, new Task(this.state, this.fresh(row.id)));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const t = new Task(this.state, this.fresh(row.id));
      const attempts = Number(t.data.undoAttempts ?? 0) + 1;
      t.setData({ undoAttempts: attempts });
      t.log(`undo failed (attempt ${attempts} of ${UNDO_ATTEMPTS}): ${msg}`);
      // Left 'undoing', so the next command's recovery tries again; give up only after UNDO_ATTEMPTS.
      if (attempts < UNDO_ATTEMPTS) throw new UndoPendingError(row.change_id, msg);
      this.setTask(row.id, 'undo-error');
      return;
    }
    this.maybeCrash(row, 'undo', 'after');
    this.setTask(row.id, failed ? 'failed' : 'undone');
  }

  private fresh(id: number): TaskRow { return this.state.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow; }

  private setTask(id: number, status: TaskStatus, error?: string): void {
    const ready = ['done', 'undone', 'failed', 'undo-error', 'hold'].includes(status) ? now() : null;
    const row = this.state.tx(() => {
      this.state.db.prepare('UPDATE tasks SET status = ?, error = COALESCE(?, error), ready_time = ? WHERE id = ?')
        .run(status, error ?? null, ready, id);
      return this.fresh(id);
    });
    this.opts.onUpdate?.(row.change_id);
  }

  private setChange(id: number, status: ChangeStatus, error: string | null | undefined): void {
    const ready = FINISHED.has(status) ? now() : null;
    this.state.tx(() => this.state.db.prepare(`UPDATE changes SET status = ?, ready_time = ?,
        error = CASE WHEN ? THEN ? ELSE error END WHERE id = ?`)
      .run(status, ready, error === undefined ? 0 : 1, error ?? null, id));
    this.opts.onUpdate?.(id);
  }

  private maybeCrash(row: TaskRow, phase: 'do' | 'undo', when: 'before' | 'after'): void {
    if (this.crashAt?.(row, phase, when)) process.kill(process.pid, 'SIGKILL');
  }
}
