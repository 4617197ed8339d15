import type { DeviceState } from './state';

export type TaskStatus =
  | 'do'          // waiting to run
  | 'doing'       // do handler started (rerun it after a crash: handlers are idempotent)
  | 'done'        // do handler finished
  | 'undoing'     // undo handler started
  | 'undone'      // undone after the change failed
  | 'error'       // do handler failed; its undo is pending (it may have done part of its work)
  | 'failed'      // do handler failed and its undo ran
  | 'undo-error'  // undo handler failed: the device may need attention
  | 'hold';       // never ran because the change failed first

export type ChangeStatus = 'doing' | 'undoing' | 'done' | 'undone' | 'error';

/** What a change is built from: the kind, a line for people, and the inputs its handlers read (stored as JSON). */
export interface TaskSpec<K extends string = string, P = unknown> {
  kind: K;
  summary: string;
  params: P;
  /** The task whose do is the change's commit point (the `current` switch). */
  commitPoint?: boolean;
}

export interface TaskRow {
  id: number; change_id: number; seq: number; kind: string; summary: string; status: TaskStatus;
  commit_point: number; params: string; data: string; error: string | null; log: string;
  spawn_time: string; ready_time: string | null;
}

export interface ChangeRow {
  id: number; kind: string; summary: string; status: ChangeStatus; abort_requested: number;
  error: string | null; spawn_time: string; ready_time: string | null;
}

/** One task as its handler sees it: its own inputs, and a place to record decisions before acting. */
export class Task<P = unknown> {
  /** Fires when `skiff abort` asks for this task's change while it runs (a long download stops at once). */
  readonly signal: AbortSignal;

  constructor(private readonly state: DeviceState, readonly row: TaskRow, signal?: AbortSignal) {
    this.signal = signal ?? new AbortController().signal;
  }
  get id(): number { return this.row.id; }
  get kind(): string { return this.row.kind; }
  get params(): P { return JSON.parse(this.row.params) as P; }
  get data(): Record<string, unknown> { return JSON.parse(this.row.data) as Record<string, unknown>; }

  /** Merges into the task's data in one transaction, so a rerun after a crash sees the same decision. */
  setData(patch: Record<string, unknown>): void {
    const next = JSON.stringify({ ...this.data, ...patch });
    this.state.tx(() => this.state.db.prepare('UPDATE tasks SET data = ? WHERE id = ?').run(next, this.row.id));
    this.row.data = next;
  }

  /** The decision recorded under key, computing and storing it on first use. */
  decide<T>(key: string, compute: () => T): T {
    const d = this.data;
    if (key in d) return d[key] as T;
    const value = compute();
    this.setData({ [key]: value });
    return value;
  }

  log(line: string): void {
    this.logLines([line]);
  }

  /** Appends lines in one statement (a hook's output can be thousands). */
  logLines(lines: string[]): void {
    if (lines.length === 0) return;
    const now = new Date().toISOString();
    this.state.db.prepare("UPDATE tasks SET log = log || ? WHERE id = ?").run(lines.map((l) => `${now} ${l}\n`).join(''), this.row.id);
  }
}
