// The device as skiffd holds it: one DeviceOps for its whole life, changes queued per app, and
// what each change started through the API returned.
import { AsyncLocalStorage } from 'node:async_hooks';
import { SkiffError } from '@skiff/bundle';
import type { Device } from '../device';
import { DeviceOps, type ChangeSlot, type DeviceGuard } from '../device/ops';
import { AppQueue } from './queue';
import { ChangeFeed, type Outcome } from './feed';
import type { AgentContext, AgentLog } from './module';
import type { Supervisor } from '../services/supervisor';

/** What an operation started through the API answered: the change it runs, or its result when it ran none. */
export type Started = { change: number } | { result: unknown };

export class DeviceAgent {
  readonly ops: DeviceOps;
  readonly feed: ChangeFeed;
  private readonly queue = new AppQueue();
  /** The slot of the operation running in this async context: told the id of the change it creates. */
  private readonly slots = new AsyncLocalStorage<ChangeSlot>();
  private stopping = false;

  /** `services`: the services module's supervisor, which the agent's changes start and stop services through. */
  constructor(readonly device: Device, readonly log: AgentLog, services?: () => Promise<Supervisor>) {
    // skiffd holds the device lock for its whole life: a change needs only its app's turn, no recovery.
    const guard: DeviceGuard = { exclusive: (fn) => fn({ setChange: (id) => this.slots.getStore()?.setChange(id) }) };
    this.ops = new DeviceOps(device, {
      guard, progress: false, crashAt: process.env.SKIFF_TEST_CRASH_AT, ...(services ? { services } : {}),
      stopping: () => this.stopping,
      onUpdate: (id) => this.feed.updated(id),
      taskProgress: (taskId, p) => this.feed.taskProgress(taskId, p),
    });
    const taskChange = device.state.db.prepare('SELECT change_id FROM tasks WHERE id = ?').pluck();
    this.feed = new ChangeFeed(this.ops.runner, (taskId) => taskChange.get(taskId) as number | undefined);
  }

  /** Runs fn as the one change of app `name` at a time (AgentContext.withApp). */
  withApp<T>(name: string, fn: (ops: DeviceOps) => Promise<T>): Promise<T> {
    if (this.stopping) return Promise.reject(new SkiffError('agent-stopping', 'skiffd is shutting down; try again once it is back'));
    return this.queue.run(name, () => fn(this.ops));
  }

  /**
   * Starts an operation of app `name`; settles as soon as it has created its change (or ended without
   * one, or failed before one). Its result or error is kept for GET /v1/changes/ID.
   */
  start(name: string, op: (ops: DeviceOps) => Promise<unknown>): Promise<Started> {
    return new Promise((resolve, reject) => {
      let change: number | null = null;
      const slot: ChangeSlot = { setChange: (id) => {
        if (id === null || change !== null) return;
        change = id;
        this.feed.started(id);
        resolve({ change: id });
      } };
      this.withApp(name, (ops) => this.slots.run(slot, () => op(ops))).then(
        (result) => { if (change === null) resolve({ result }); else this.end(change, { result }); },
        (err: unknown) => { if (change === null) reject(err); else this.end(change, { error: errorBody(err) }); },
      );
    });
  }

  private end(change: number, outcome: Outcome): void {
    this.feed.ended(change, outcome);
    const c = this.ops.runner.change(change);
    this.log.info({ change, status: c.status, ...('error' in outcome ? { error: outcome.error.message } : {}) }, c.summary);
  }

  context(): AgentContext {
    return { root: this.device.root, layout: this.device.paths, log: this.log, withApp: (name, fn) => this.withApp(name, fn) };
  }

  /** SIGTERM: no new change or task starts; settles when running tasks reached a boundary (or at the deadline). */
  async stop(deadlineMs: number): Promise<boolean> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), deadlineMs); });
    const settled = await Promise.race([this.queue.idle().then(() => true as const), late]);
    clearTimeout(timer);
    return settled;
  }

  busyApps(): string[] { return this.queue.busy(); }
}

/** The {code, message} of an error as the API and `skiff --json` show it. */
export function errorBody(err: unknown): { code: string; message: string } {
  return { code: err instanceof SkiffError ? err.code : 'internal-error', message: err instanceof Error ? err.message : String(err) };
}
