// The supervisor: starts each service under its own skiff-shim, restarts it by its restart rule,
// stops it (the shim escalates to SIGKILL of the cgroup), and adopts running shims after a restart
// of the agent. It watches each shim's control socket: an event, never a polling loop.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { serviceSpecs, writeFileAtomic, type ServiceSpec } from '@skiff/bundle';
import { killCgroups, readShimStatus, removeEmptyCgroups, startShim, watchShim, type ExitStatus, type ShimStatus } from '@skiff/native';
import { wrapperPlan } from '@skiff/confinement';
import type { Device } from '../device/device';
import type { AgentLog } from '../agent/module';
import { SUPERVISOR_DEFAULTS, type SupervisorSettings } from './settings';
import { describeExit, recentStarts, restartDelay, shouldRestart } from './restart';
import { UnknownServiceError } from './errors';
import { newRecord, readRecord, readStartup, recordedServices, writeRecord, writeStartup, type ServicePhase, type SupervisorRecord } from './records';

/** One line of `skiff services`. */
export interface ServiceInfo {
  service: string;
  startup: 'enabled' | 'disabled';
  current: ServicePhase;
  notes: string;
  pid: number | null;
  revision: number | null;
}

interface Unit {
  id: string; name: string; app: string; spec: ServiceSpec;
  rec: SupervisorRecord;
  socket: Socket | null;
  status: ShimStatus | null;
  /** A stop was asked: its end is not a failure and starts nothing. */
  stopping: boolean;
  timer: NodeJS.Timeout | null;
  /** The start under way (shim launching), which a stop waits for. */
  launching: Promise<void> | null;
}

export interface SupervisorOptions {
  device: Device;
  log: AgentLog;
  settings?: Partial<SupervisorSettings>;
  /**
   * For a command's change (in-process skiff, no agent): starts, stops and waits, but restarts nothing
   * and keeps no event loop alive; restarts are the agent's.
   */
  passive?: boolean;
  /** The settle time of a `simple` service in ms, read at each wait (the device setting may change while the agent runs); default settings.settleMs. */
  settleMs?: () => number;
}

/** Events: 'exit' (id, ExitStatus), 'ready' (id), 'started' (id), 'failed' (id). */
export class Supervisor extends EventEmitter {
  readonly settings: SupervisorSettings;
  private readonly units = new Map<string, Unit>();
  private closed = false;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.settings = { ...SUPERVISOR_DEFAULTS, ...opts.settings };
  }

  private get layout() { return this.opts.device.paths; }
  private runDir(u: Pick<Unit, 'name' | 'app'>): string { return this.layout.serviceRunDir(u.name, u.app); }

  /** The services of an installed app's current revision (none when it has none). */
  specsOf(name: string, revision?: number): ServiceSpec[] {
    return serviceSpecs(this.opts.device.appContext(name, revision).manifest);
  }

  private unit(name: string, spec: ServiceSpec): Unit {
    const id = `${name}.${spec.app}`;
    let u = this.units.get(id);
    if (!u) {
      u = { id, name, app: spec.app, spec, rec: readRecord(this.layout.serviceRunDir(name, spec.app)) ?? newRecord(), socket: null, status: null, stopping: false, timer: null, launching: null };
      this.units.set(id, u);
    }
    u.spec = spec;
    return u;
  }

  isEnabled(name: string, spec: ServiceSpec): boolean {
    return readStartup(this.layout, `${name}.${spec.app}`) ?? spec.enabled;
  }

  setEnabled(name: string, app: string, enabled: boolean): void { writeStartup(this.layout, `${name}.${app}`, enabled); }

  /** Re-attaches to every shim still running (no second instance), and handles ends it missed. */
  async adopt(): Promise<void> {
    for (const id of recordedServices(this.layout)) {
      const dot = id.indexOf('.');
      const [name, app] = [id.slice(0, dot), id.slice(dot + 1)];
      let spec: ServiceSpec | undefined;
      try { spec = this.specsOf(name).find((s) => s.app === app); } catch { /* removed meanwhile */ }
      if (!spec) continue;
      const u = this.unit(name, spec);
      u.status = readShimStatus(this.runDir(u));
      if (!u.status) continue;
      if (u.status.state !== 'exited') await this.watch(u);
      else if (u.rec.restartAt !== null && u.rec.handledStart === u.status.startedAt) this.scheduleRestart(u, u.rec.restartAt - Date.now());
      else this.onExit(u, u.status);
    }
  }

  /** Starts the enabled services of every installed app that no record says were stopped or failed. */
  async startEnabled(): Promise<void> {
    for (const app of this.opts.device.state.apps()) await this.startAppServices(app.name, { fresh: false });
  }

  /** Starts an app's enabled services; fresh (install, refresh) starts them whatever their records say. */
  async startAppServices(name: string, o: { fresh: boolean; revision?: number }): Promise<string[]> {
    const started: string[] = [];
    for (const spec of this.specsOf(name, o.revision)) {
      if (!this.isEnabled(name, spec)) continue;
      const u = this.unit(name, spec);
      if (!o.fresh && readRecord(this.runDir(u)) !== null) continue;
      await this.start(name, spec.app, o.revision);
      started.push(u.id);
    }
    return started;
  }

  /** Stops an app's running services (endure ones kept when keepEndure); returns those stopped. */
  async stopAppServices(name: string, o: { keepEndure: boolean }): Promise<string[]> {
    const stopped: string[] = [];
    for (const u of [...this.units.values()].filter((x) => x.name === name)) {
      if (o.keepEndure && u.spec.endure) continue;
      if (u.rec.phase !== 'active' && !u.timer) continue;
      await this.stop(name, u.app);
      stopped.push(u.id);
    }
    return stopped;
  }

  /** Starts a service (a no-op when it runs); clears `failed`. */
  async start(name: string, app: string, revision?: number): Promise<void> {
    const spec = this.specsOf(name, revision).find((s) => s.app === app);
    if (!spec) throw new UnknownServiceError(`${name}.${app}`, `${name} has no service ${app}`);
    const u = this.unit(name, spec);
    if (u.launching) await u.launching;
    if (u.socket) return;
    this.clearTimer(u);
    u.rec.failures = 0;
    u.rec.starts = [];
    u.rec.note = '';
    await this.launch(u, revision);
  }

  /** Stops a service: SIGTERM, then SIGKILL of its cgroup after its stop-timeout (by the shim). */
  async stop(name: string, app: string): Promise<void> {
    const u = [...this.units.values()].find((x) => x.name === name && x.app === app);
    if (!u) return;
    u.stopping = true;
    this.clearTimer(u);
    if (u.launching) await u.launching;
    if (u.socket) {
      const ended = new Promise<void>((resolve) => this.once(`end:${u.id}`, resolve));
      u.socket.ref();  // passive: this command must live until the service has ended
      u.socket.write('stop\n');
      await ended;
    } else if (u.rec.phase === 'active') {
      this.lost(u);
    }
    u.rec.phase = 'inactive';
    u.rec.note = `stopped${u.rec.lastExit ? ` (${describeExit(u.rec.lastExit)})` : ''}`;
    this.save(u);
  }

  async restart(name: string, app: string): Promise<void> {
    await this.stop(name, app);
    await this.start(name, app);
  }

  /**
   * Resolves once the service is up: `notify` when it said READY=1 within its ready-timeout, others
   * when still running after settleMs. Rejects with the reason when it ended or timed out first.
   */
  waitUp(name: string, app: string): Promise<void> {
    const u = [...this.units.values()].find((x) => x.name === name && x.app === app);
    if (!u || !u.status) return Promise.reject(new Error('it was not started'));
    if (u.status.state === 'exited') return u.spec.daemon === 'oneshot' && u.status.exit?.code === 0 ? Promise.resolve() : Promise.reject(new Error(describeExit(u.status.exit ?? { code: null, signal: 'SIGKILL' })));
    const notify = u.spec.daemon === 'notify';
    if (notify && u.status.readyAt) return Promise.resolve();
    u.socket?.ref();  // passive: this command must live while it waits (unref'd again when the wait ends)
    // A oneshot is up once it has done its work: exited 0.
    if (u.spec.daemon === 'oneshot') {
      return new Promise((resolve, reject) => {
        const onExit = (id: string, exit: ExitStatus) => {
          if (id !== u.id) return;
          this.off('exit', onExit);
          if (this.opts.passive) u.socket?.unref();
          if (exit.code === 0) resolve(); else reject(new Error(describeExit(exit)));
        };
        this.on('exit', onExit);
      });
    }
    const started = u.status.startedAt ?? Date.now();
    const waitMs = Math.max(0, (notify ? u.spec.readyTimeoutMs : this.opts.settleMs?.() ?? this.settings.settleMs) - (Date.now() - started));
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.off('exit', onExit);
        this.off('ready', onReady);
        if (this.opts.passive) u.socket?.unref();
        if (err) reject(err); else resolve();
      };
      const onExit = (id: string, exit: ExitStatus) => { if (id === u.id) done(new Error(describeExit(exit))); };
      const onReady = (id: string) => { if (id === u.id && notify) done(); };
      const timer = setTimeout(() => done(notify ? new Error(`no READY=1 within ${u.spec.readyTimeoutMs} ms`) : undefined), waitMs);
      this.on('exit', onExit);
      this.on('ready', onReady);
    });
  }

  /** The services of one app, or of all installed apps. */
  list(name?: string): ServiceInfo[] {
    const apps = name === undefined ? this.opts.device.state.apps().map((a) => a.name) : [name];
    return apps.flatMap((n) => this.specsOf(n).map((spec) => {
      const u = this.unit(n, spec);
      const running = u.socket !== null;
      const current: ServicePhase = running ? 'active' : u.rec.phase === 'active' ? 'inactive' : u.rec.phase;
      const notes = u.timer ? `restarting (${u.rec.note})` : u.rec.note;
      return { service: u.id, startup: this.isEnabled(n, spec) ? 'enabled' : 'disabled', current, notes,
        pid: running ? u.status?.appPid ?? null : null, revision: u.rec.revision };
    }));
  }

  /** Stops watching (the services keep running under their shims). */
  close(): void {
    this.closed = true;
    for (const u of this.units.values()) {
      this.clearTimer(u);
      u.socket?.destroy();
      u.socket = null;
    }
  }

  private async launch(u: Unit, revision?: number): Promise<void> {
    const run = async () => {
      const ctx = this.opts.device.appContext(u.name, revision);
      const dir = this.runDir(u);
      const plan = join(dir, 'plan.json');
      writeFileAtomic(plan, JSON.stringify(wrapperPlan(ctx, u.app)) + '\n', 0o600);
      u.stopping = false;
      u.rec.starts = [...recentStarts(u.rec.starts, Date.now(), this.settings), Date.now()];
      u.rec.revision = ctx.revision;
      u.rec.phase = 'active';
      this.save(u);  // a restart keeps the note saying how the last run ended
      try {
        await startShim({ plan, stateDir: dir, logDir: this.layout.serviceLogDir(u.name, u.app), log: this.settings.log,
          stopTimeoutMs: u.spec.stopTimeoutMs, notify: u.spec.daemon === 'notify' });
      } catch (e) {
        this.opts.log.warn({ service: u.id, err: (e as Error).message }, 'service did not start');
      }
      u.status = readShimStatus(dir);
      if (u.status?.state === 'exited') this.onExit(u, u.status);
      else await this.watch(u);
      if (u.socket) this.emit('started', u.id);
    };
    u.launching = run().finally(() => { u.launching = null; });
    await u.launching;
  }

  private async watch(u: Unit): Promise<void> {
    const socket = await watchShim(this.runDir(u), (line) => {
      if (line !== 'ready') return;
      u.status = readShimStatus(this.runDir(u));
      this.emit('ready', u.id);
    }, () => {
      if (u.socket !== socket) return;
      u.socket = null;
      if (this.closed) return;
      this.onExit(u, readShimStatus(this.runDir(u)));
    });
    if (!socket) { this.onExit(u, readShimStatus(this.runDir(u))); return; }
    if (this.opts.passive) socket.unref();
    u.socket = socket;
    u.status = readShimStatus(this.runDir(u));
    u.rec.phase = 'active';
    this.save(u);
  }

  // The shim is gone without recording an end (killed): its service died with it (PDEATHSIG); make sure of the cgroup.
  private lost(u: Unit): ShimStatus {
    const s = u.status ?? readShimStatus(this.runDir(u));
    if (s?.cgroup) {
      killCgroups(s.cgroup);
      void removeWhenEmpty(s.cgroup);
    }
    return { ...(s ?? { shimPid: 0, shimStart: 0 }), state: 'exited', exit: { code: null, signal: 'SIGKILL' }, endedAt: Date.now() };
  }

  private onExit(u: Unit, status: ShimStatus | null): void {
    const s = status?.state === 'exited' ? status : this.lost(u);
    u.status = s;
    const exit = s.exit ?? { code: null, signal: 'SIGKILL' };
    if (u.rec.handledStart !== null && u.rec.handledStart === (s.startedAt ?? -1)) return;
    u.rec.handledStart = s.startedAt ?? -1;
    u.rec.lastExit = exit;
    const when = new Date(s.endedAt ?? Date.now()).toISOString();
    u.rec.note = `${describeExit(exit)} at ${when}${s.error ? `: ${s.error}` : ''}${status?.state === 'exited' ? '' : ' (its parent was killed)'}`;
    this.emit('exit', u.id, exit);
    this.emit(`end:${u.id}`);
    if (u.stopping || this.closed) { u.rec.phase = 'inactive'; this.save(u); return; }
    if (this.opts.passive) { u.rec.phase = exit.code === 0 ? 'inactive' : 'failed'; this.save(u); return; }
    if (!shouldRestart(u.spec.restartCondition, exit)) {
      u.rec.phase = exit.code === 0 ? 'inactive' : 'failed';
      this.save(u);
      return;
    }
    const now = Date.now();
    if ((s.endedAt ?? now) - (s.startedAt ?? now) >= this.settings.resetAfterMs) u.rec.failures = 0;
    u.rec.failures++;
    if (recentStarts(u.rec.starts, now, this.settings).length >= this.settings.startLimit) {
      u.rec.phase = 'failed';
      u.rec.note += `; start limit hit (${this.settings.startLimit} starts in ${this.settings.startLimitWindowMs / 1000} s)`;
      this.save(u);
      this.emit('failed', u.id);
      return;
    }
    const delay = restartDelay(u.spec.restartDelayMs, u.rec.failures, this.settings);
    u.rec.phase = 'inactive';
    this.opts.log.info({ service: u.id, exit, delayMs: delay }, 'service ended; restarting');
    this.scheduleRestart(u, delay);
  }

  private scheduleRestart(u: Unit, delayMs: number): void {
    u.rec.restartAt = Date.now() + Math.max(0, delayMs);
    this.save(u);
    u.timer = setTimeout(() => {
      u.timer = null;
      u.rec.restartAt = null;
      this.launch(u).catch((e: Error) => this.opts.log.error({ service: u.id, err: e.message }, 'restart failed'));
    }, Math.max(0, delayMs));
  }

  private clearTimer(u: Unit): void {
    if (u.timer) clearTimeout(u.timer);
    u.timer = null;
    u.rec.restartAt = null;
  }

  private save(u: Unit): void { writeRecord(this.runDir(u), u.rec); }
}

/** How long a killed service's cgroup folders are retried while its processes are reaped (milliseconds). */
const CGROUP_REMOVE_MS = 5000;
const CGROUP_REMOVE_RETRY_MS = 20;

// rmdir fails while the killed processes are still being reaped: a bounded retry, as cgroup_remove does in C++.
async function removeWhenEmpty(dirs: string[]): Promise<void> {
  let left = dirs;
  for (const deadline = Date.now() + CGROUP_REMOVE_MS; left.length > 0 && Date.now() < deadline;) {
    const removed = new Set(removeEmptyCgroups(left));
    left = left.filter((d) => !removed.has(d) && existsSync(d));
    if (left.length) await new Promise((r) => setTimeout(r, CGROUP_REMOVE_RETRY_MS).unref());
  }
}
