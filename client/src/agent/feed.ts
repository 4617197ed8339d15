// What skiffd knows of its changes beyond state.db: live task progress, each change's result, and
// the wake-ups of long polls (GET /v1/changes/ID?wait=SECONDS).
import { EventEmitter } from 'node:events';
import type { ChangeRunner } from '../device/changes';
import type { DeviceEnv, TaskProgress } from '../device/env';
import type { TaskStatus } from '../device/task';
import { taskList } from '../device/views';

/** Milliseconds between two wake-ups of a change's long polls for download progress alone. */
export const PROGRESS_EVENT_MS = 250;
/** Longest long poll, in seconds (a client asking more is held this long). */
export const MAX_WAIT_SECONDS = 60;
/** Outcomes kept (the newest changes'): an agent that runs for months must not grow with every change. */
export const MAX_KEPT_OUTCOMES = 256;

/** How a change's operation ended: its result (what the CLI prints), or its error. */
export type Outcome = { result: unknown } | { error: { code: string; message: string } };

const FINISHED: ReadonlySet<string> = new Set(['done', 'undone', 'error']);
const ENDED: ReadonlySet<TaskStatus> = new Set(['done', 'undone', 'failed', 'undo-error', 'hold']);

export class ChangeFeed {
  private readonly events = new EventEmitter().setMaxListeners(0);
  private readonly progress = new Map<number, TaskProgress>();
  private readonly lastEmit = new Map<number, number>();
  private readonly outcomes = new Map<number, Outcome>();
  /** Changes whose operation (started through the API) has not returned yet. */
  private readonly pending = new Set<number>();

  constructor(private readonly runner: ChangeRunner<DeviceEnv>, private readonly taskChange: (taskId: number) => number | undefined) {}

  /** A status of the change or one of its tasks changed. */
  updated(changeId: number): void { this.events.emit(String(changeId)); }

  /** A task reports how far it has got; long polls wake at most every PROGRESS_EVENT_MS. */
  taskProgress(taskId: number, p: TaskProgress): void {
    this.progress.set(taskId, p);
    const now = Date.now();
    if (p.done < p.total && now - (this.lastEmit.get(taskId) ?? 0) < PROGRESS_EVENT_MS) return;
    this.lastEmit.set(taskId, now);
    const change = this.taskChange(taskId);
    if (change !== undefined) this.updated(change);
  }

  /** An operation started through the API created this change; it is not ready until the operation returns. */
  started(changeId: number): void { this.pending.add(changeId); }

  /** True once nothing more will happen to the change: finished, and its operation (if any) returned. */
  ready(changeId: number): boolean {
    return this.outcomes.has(changeId) || (!this.pending.has(changeId) && FINISHED.has(this.runner.change(changeId).status));
  }

  /** The operation that ran the change has ended (kept for this agent's life; lost on restart). */
  ended(changeId: number, outcome: Outcome): void {
    this.outcomes.set(changeId, outcome);
    this.pending.delete(changeId);
    // A Map iterates in insertion order: the first key is the oldest outcome.
    if (this.outcomes.size > MAX_KEPT_OUTCOMES) this.outcomes.delete(this.outcomes.keys().next().value!);
    for (const t of this.runner.tasks(changeId)) { this.progress.delete(t.id); this.lastEmit.delete(t.id); }
    this.updated(changeId);
  }

  /** Settles at the change's next update, when its operation has ended, or after seconds. */
  async wait(changeId: number, seconds: number): Promise<void> {
    if (seconds <= 0 || this.ready(changeId)) return;
    const ms = Math.min(seconds, MAX_WAIT_SECONDS) * 1000;
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); this.events.off(String(changeId), done); resolve(); };
      const timer = setTimeout(done, ms);
      this.events.on(String(changeId), done);
    });
  }

  /** A change with its tasks, each task's progress, and (once its operation ended) its outcome. */
  view(changeId: number) {
    const v = taskList(this.runner, changeId);
    const outcome = this.outcomes.get(changeId);
    return {
      ...v,
      ready: this.ready(changeId),
      tasks: v.tasks.map((t) => ({ ...t, progress: this.progress.get(t.id) ?? { label: t.kind, done: ENDED.has(t.status as TaskStatus) ? 1 : 0, total: 1 } })),
      ...(outcome ? { outcome } : {}),
    };
  }
}
