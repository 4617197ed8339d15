import { statSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ChangeRunner } from './changes';
import { DeviceLock } from './lock';
import { deviceTaskKinds, type DeviceTaskSpec } from './tasks';
import { makeEnv, type Backend, type DeviceEnv, type TaskProgress } from './env';
import type { Supervisor } from '../services/supervisor';
import type { Device } from './device';
import type { ChangeRow } from './task';
import { switchInPlan, revertPlan, removePlan } from './plans';
import { findDelta } from './deltas';
import { resolveChannel } from './channels';
import { recoverChanges, remountAll } from './recovery';
import { tightenDataFolders } from './appdata';
import { DeviceTrust } from '../trust';
import { normaliseStoreUrl } from '../publisher/config';
import { SkiffError, hashFile, normalizeChannel, parseSize, type ChannelMapDocument } from '@skiff/bundle';
import { DATA_MAX_SIZE, checkSetting } from './config';
import { ARCHITECTURE_SETTING, deviceArchitecture, foreignArchitectures } from './architecture';
import { checkNoShrink, growMountedVolumes } from './data-volume';
import { RefreshRecords } from './autorefresh/records';
import { autoRefreshGate, type GateVerdict } from './autorefresh/gate';
import { FOREVER, holdUntil } from './autorefresh/holds';
import {
  AlreadyInstalledError, ArchitectureError, ChangeFailedError, ChannelError, NotBlockedError, NotInstalledError, NotRootError,
} from './errors';

export interface OpsOptions {
  /** Wait for a change in progress (default) or fail at once naming it (--no-wait). */
  wait?: boolean;
  progress?: boolean;
  backend?: Backend;
  /** Test-only crash point (SKIFF_TEST_CRASH_AT). */
  crashAt?: string;
  /** The agent's supervisor, which changes start and stop services through (default: a passive one of this command's). */
  services?: () => Promise<Supervisor>;
  /** Who gives this DeviceOps the device for a change; default: the device lock, recovering first. */
  guard?: DeviceGuard;
  /** True once the process shuts down (skiffd's SIGTERM): changes stop at the next task boundary. */
  stopping?: () => boolean;
  /** Told after every status change of a change or its tasks. */
  onUpdate?: (changeId: number) => void;
  /** Told how far a long task has got. */
  taskProgress?: (taskId: number, progress: TaskProgress) => void;
}

/** Told which change runs: a waiting command names it, skiffd answers 202 with it. */
export interface ChangeSlot { setChange(id: number | null): void }

/**
 * How a change gets the device. A `skiff` process takes the device lock and recovers first (the
 * default); skiffd holds the device for its whole life and queues changes per app itself.
 */
export interface DeviceGuard {
  exclusive<T>(fn: (slot: ChangeSlot) => Promise<T>): Promise<T>;
}

export interface Update { name: string; from: number; to: number; version: string; channel: string }
/** What refresh --list shows: the update and the bytes it will download (a delta's, when one applies). */
export interface UpdateDownload extends Update { download: { bytes: number; deltaFrom: number | null } }
export interface RefreshOutcome {
  name: string;
  status: 'refreshed' | 'up-to-date' | 'blocked' | 'local' | 'failed' | GateVerdict['status'];
  message: string;
  change?: number;
}

export interface RefreshOptions {
  channel?: string;
  /** One named app to this revision, blocked or not; a refresh that succeeds unblocks it. */
  revision?: number;
  /** An automatic refresh, as of `now`: holds, failed-revision backoff and running processes gate it. */
  auto?: { now: Date };
}

/**
 * Checks what `skiff setup` was given, before anything is created: the store URL and the root
 * metadata to trust (read and verified as a self-signed TUF root). Returns the root's bytes.
 */
export async function checkSetup(storeUrl: string, rootJsonFile: string): Promise<Buffer> {
  normaliseStoreUrl(storeUrl); // the publisher's rule for a store URL: http(s), no credentials
  let bytes: Buffer;
  try {
    bytes = readFileSync(rootJsonFile);
  } catch (err) {
    throw new SkiffError('usage', `cannot read ${rootJsonFile} (${(err as NodeJS.ErrnoException).code ?? String(err)}): --trust takes the root.json path that \`skiff-store init\` prints last`);
  }
  await DeviceTrust.checkRoot(bytes);
  return bytes;
}

function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new NotRootError(what);
}

/** The device verbs as a library: each takes the lock, recovers first, then builds and runs one change. */
export class DeviceOps {
  readonly env: DeviceEnv;
  readonly runner: ChangeRunner<DeviceEnv>;

  constructor(readonly device: Device, private readonly opts: OpsOptions = {}) {
    this.env = makeEnv(device, opts.backend, opts.progress, opts.services);
    if (opts.taskProgress) this.env.taskProgress = opts.taskProgress;
    this.runner = new ChangeRunner(device.state, deviceTaskKinds(), this.env, {
      crashAt: opts.crashAt, ...(opts.stopping ? { stopping: opts.stopping } : {}), ...(opts.onUpdate ? { onUpdate: opts.onUpdate } : {}),
    });
  }

  /** Holds the device around fn: the guard's way, else the device lock after finishing whatever a crash left behind. */
  async locked<T>(fn: (lock: ChangeSlot) => Promise<T>): Promise<T> {
    if (this.opts.guard) return this.opts.guard.exclusive(fn);
    const lock = await DeviceLock.acquire(this.device.state, { wait: this.opts.wait ?? true });
    try {
      for (const c of this.runner.unfinished()) lock.setChange(c.id);
      await recoverChanges(this.runner);
      lock.setChange(null);
      return await fn(lock);
    } finally { lock.release(); }
  }

  /** For read-only verbs: recovers when nobody holds the lock, else reads the state as it is. */
  async recoverIfIdle(): Promise<void> {
    if (DeviceLock.holder(this.device.state) || this.runner.unfinished().length === 0) return;
    try { await this.locked(async () => undefined); } catch { /* a change started meanwhile: read as is */ }
  }

  /** The architecture whose builds this device installs (config, else the kernel's). */
  architecture() {
    return deviceArchitecture(this.device.state.configGet(ARCHITECTURE_SETTING));
  }

  private async runChange(lock: ChangeSlot, kind: string, summary: string, specs: DeviceTaskSpec[]): Promise<ChangeRow> {
    const id = this.runner.create(kind, summary, specs);
    lock.setChange(id);
    const done = await this.runner.run(id);
    lock.setChange(null);
    if (done.status !== 'done') throw new ChangeFailedError(id, `${summary} failed and was undone: ${done.error ?? 'unknown error'}`);
    return done;
  }

  async install(name: string, o: { channel?: string; revision?: number } = {}): Promise<{ change: ChangeRow; revision: number; version: string; channel: string }> {
    requireRoot('install');
    return this.locked(async (lock) => {
      const app = this.device.state.app(name);
      if (app) throw new AlreadyInstalledError(name, app.current);
      const channel = normalizeChannel(o.channel ?? 'stable');
      const trust = this.env.trust();
      await trust.refresh();
      let revision = o.revision;
      if (revision === undefined) {
        const resolved = resolveChannel(await trust.channelMap(name), channel, this.architecture());
        if (!resolved) throw new ChannelError(`${name} has no revision in ${channel} (nor a more stable risk)`);
        revision = resolved.revision;
      }
      const target = await trust.bundleTarget(name, revision);
      const version = target.custom.version;
      const specs = switchInPlan(this.env, name, revision, { kind: 'store', target, channel }, undefined);
      const change = await this.runChange(lock, 'install', `Install ${name} ${version} (revision ${revision}) from ${channel}`, specs);
      return { change, revision, version, channel };
    });
  }

  /** Installs (or refreshes to) a local, unsigned bundle: development only, marked dangerous. */
  async installDangerous(file: string, o: { devmode?: boolean } = {}): Promise<{ change: ChangeRow; name: string; revision: number; version: string }> {
    requireRoot('install');
    const path = resolve(file);
    const manifest = await this.env.backend.inspectManifest(path);
    const arch = this.architecture();
    const foreign = foreignArchitectures(manifest, arch);
    if (foreign) throw new ArchitectureError(`refused ${file}: a bundle for ${foreign}, and this device is ${arch} (\`skiff config get ${ARCHITECTURE_SETTING}\`)`);
    const size = statSync(path).size;
    const { sha256 } = await hashFile(path);
    return this.locked(async (lock) => {
      const name = manifest.name;
      const app = this.device.state.app(name);
      const revision = this.device.state.nextDangerousRevision(name);
      const specs = switchInPlan(this.env, name, revision,
        { kind: 'local', file: path, sha256, size, version: manifest.version, devmode: o.devmode ?? false }, app);
      const verb = app ? 'Refresh' : 'Install';
      const change = await this.runChange(lock, app ? 'refresh' : 'install', `${verb} ${name} ${manifest.version} (local revision ${revision}, dangerous)`, specs);
      return { change, name, revision, version: manifest.version };
    });
  }

  /** What refresh would do, nothing done: updates for tracked apps, skipping blocked revisions. */
  async refreshList(names: string[] = []): Promise<UpdateDownload[]> {
    return this.locked(async () => {
      const out: UpdateDownload[] = [];
      for (const { name, from, to, version, channel } of (await this.findUpdates(names)).filter((u) => !u.blocked && u.to !== u.from)) {
        const target = await this.env.trust().bundleTarget(name, to);
        const delta = await findDelta(this.env, target);
        out.push({ name, from, to, version, channel, download: { bytes: delta?.target.length ?? target.length, deltaFrom: delta?.from ?? null } });
      }
      return out;
    });
  }

  private async findUpdates(names: string[], channelOverride?: string, revision?: number): Promise<(Update & { blocked: boolean })[]> {
    const { state } = this.device;
    const apps = this.refreshScope(names).map((n) => state.app(n)!);
    const tracked = apps.filter((a) => a.channel !== '' || channelOverride !== undefined);
    if (tracked.length === 0) return [];
    const trust = this.env.trust();
    await trust.refresh();
    const out: (Update & { blocked: boolean })[] = [];
    for (const a of tracked) {
      const channel = normalizeChannel(channelOverride ?? a.channel);
      if (revision !== undefined) {
        // Asked for by number: the owner's choice, so a block on it does not stand in the way.
        const target = await trust.bundleTarget(a.name, revision);
        out.push({ name: a.name, from: a.current, to: revision, version: target.custom.version, channel, blocked: false });
        continue;
      }
      const resolved = resolveChannel(await trust.channelMap(a.name), channel, this.architecture());
      if (!resolved) throw new ChannelError(`${a.name} has no revision in ${channel} (nor a more stable risk)`);
      out.push({ name: a.name, from: a.current, to: resolved.revision, version: resolved.version, channel,
        blocked: channelOverride === undefined && state.isBlocked(a.name, resolved.revision) });
    }
    return out;
  }

  /**
   * The apps a refresh of `names` looks at: those named (each must be installed), else every app that
   * tracks a channel. skiffd starts one change per app of this list; refresh() itself does the same choice.
   */
  refreshScope(names: string[]): string[] {
    const { state } = this.device;
    for (const n of names) if (!state.app(n)) throw new NotInstalledError(n);
    return names.length ? names : state.apps().filter((a) => a.channel !== '').map((a) => a.name);
  }

  /** The apps a manual refresh of every app leaves alone because they are held, each with how to lift its hold. */
  heldFromRefresh(now = new Date()): RefreshOutcome[] {
    const records = new RefreshRecords(this.device.state);
    return this.refreshScope([]).flatMap((name) => {
      const hold = records.holdOn(name, now);
      if (!hold) return [];
      const lift = hold.scope === 'all' ? 'refresh.hold; name it, or `skiff refresh --unhold`' : `name it, or \`skiff refresh --unhold ${name}\``;
      return [{ name, status: 'held' as const, message: `${name} is held until ${hold.until}; not refreshed (${lift})` }];
    });
  }

  /**
   * Refreshes the named apps (all tracked apps when none, less the held ones), one change each. With
   * `auto`, the gates of automatic refresh apply and a failure is recorded for its backoff.
   */
  async refresh(names: string[] = [], o: RefreshOptions = {}): Promise<RefreshOutcome[]> {
    requireRoot('refresh');
    if (o.channel !== undefined) normalizeChannel(o.channel); // a channel that breaks the grammar is refused before anything else
    return this.locked(async (lock) => {
      const { state } = this.device;
      const records = new RefreshRecords(state);
      const now = o.auto?.now ?? new Date();
      const outcomes: RefreshOutcome[] = [];
      for (const n of names) if (state.app(n)?.channel === '' && o.channel === undefined) {
        outcomes.push({ name: n, status: 'local', message: `${n} was installed from a local file; it tracks no channel` });
      }
      let wanted = names.filter((n) => !outcomes.some((x) => x.name === n));
      if (names.length && !wanted.length) return outcomes;
      if (!names.length) {
        // A manual refresh of everything leaves held apps alone; naming one refreshes it.
        const tracked = this.refreshScope([]);
        outcomes.push(...this.heldFromRefresh(now));
        wanted = tracked.filter((n) => !outcomes.some((x) => x.name === n));
        if (tracked.length && !wanted.length) return outcomes;
      }
      if (o.revision !== undefined && wanted.length !== 1) throw new SkiffError('usage', 'refresh --revision takes exactly one app name');
      for (const u of await this.findUpdates(wanted, o.channel, o.revision)) {
        const app = state.app(u.name)!;
        if (u.to === u.from) {
          if (app.channel !== u.channel) state.tx(() => state.putApp(u.name, u.channel, app.current));
          outcomes.push({ name: u.name, status: 'up-to-date', message: `${u.name} ${u.version} (revision ${u.to}) is up to date in ${u.channel}` });
          continue;
        }
        if (u.blocked) {
          const why = state.blockedRow(u.name, u.to)?.reason ?? 'blocked';
          outcomes.push({ name: u.name, status: 'blocked',
            message: `${u.name}: revision ${u.to} is blocked (${why}); staying on revision ${u.from} (\`skiff unblock ${u.name} ${u.to}\` allows it)` });
          continue;
        }
        const gate = o.auto && state.tx(() => autoRefreshGate(state, records, u.name, u.to, now));
        if (gate) { outcomes.push({ name: u.name, ...gate }); continue; }
        const target = await this.env.trust().bundleTarget(u.name, u.to);
        const delta = await findDelta(this.env, target);
        const specs = switchInPlan(this.env, u.name, u.to, { kind: 'store', target, channel: u.channel, ...(delta ? { delta } : {}) }, app);
        try {
          const change = await this.runChange(lock, 'refresh', `Refresh ${u.name} from revision ${u.from} to ${u.to} (${u.version}, ${u.channel})`, specs);
          if (o.auto) state.tx(() => { records.clearFailures(u.name); records.setPostponedSince(u.name, null); records.setLastRefresh(now); });
          // A revision asked for by number and now running well is no longer blocked (a failed one stays blocked).
          if (o.revision !== undefined) state.tx(() => state.unblock(u.name, u.to));
          outcomes.push({ name: u.name, status: 'refreshed', message: `${u.name} ${u.version} (revision ${u.to}) refreshed from ${u.channel}`, change: change.id });
        } catch (err) {
          if (!(err instanceof ChangeFailedError)) throw err;
          if (o.auto) state.tx(() => records.recordFailure(u.name, u.to, now));
          const blocked = state.isBlocked(u.name, u.to) ? `; revision ${u.to} is blocked from automatic refresh` : '';
          outcomes.push({ name: u.name, status: 'failed', message: `${err.message}; back on revision ${state.app(u.name)?.current}${blocked}`, change: err.changeId });
        }
      }
      return outcomes;
    });
  }

  /**
   * Holds the named apps (every app, through refresh.hold, when none) from automatic refresh for a
   * duration in ms or forever; returns the RFC 3339 end (or "forever").
   */
  async hold(names: string[], duration: number | typeof FOREVER): Promise<string> {
    requireRoot('refresh --hold');
    const { state } = this.device;
    for (const n of names) if (!state.app(n)) throw new NotInstalledError(n);
    const until = holdUntil(duration, new Date());
    const records = new RefreshRecords(state);
    state.tx(() => {
      if (names.length === 0) state.configSet('refresh.hold', until);
      for (const n of names) records.putHold(n, until);
    });
    return until;
  }

  /** Lifts the holds of the named apps (every hold, refresh.hold too, when none). */
  async unhold(names: string[]): Promise<void> {
    requireRoot('refresh --unhold');
    const { state } = this.device;
    const records = new RefreshRecords(state);
    // A removed app's hold is kept (for a reinstall) and may still be lifted by name.
    for (const n of names) if (!state.app(n) && !records.hold(n)) throw new NotInstalledError(n);
    state.tx(() => {
      if (names.length === 0) { state.configSet('refresh.hold', ''); records.deleteAllHolds(); }
      for (const n of names) records.deleteHold(n);
    });
  }

  async revert(name: string, revision?: number): Promise<{ change: ChangeRow; from: number; to: number }> {
    requireRoot('revert');
    return this.locked(async (lock) => {
      const app = this.device.state.app(name);
      if (!app) throw new NotInstalledError(name);
      const { to, specs } = revertPlan(this.env, app, revision);
      const change = await this.runChange(lock, 'revert', `Revert ${name} from revision ${app.current} to ${to}`, specs);
      return { change, from: app.current, to };
    });
  }

  async remove(name: string, o: { purge?: boolean } = {}): Promise<{ change: ChangeRow; revision: number }> {
    requireRoot('remove');
    return this.locked(async (lock) => {
      const app = this.device.state.app(name);
      if (!app) throw new NotInstalledError(name);
      const specs = removePlan(this.env, app, o.purge ?? false);
      const change = await this.runChange(lock, 'remove', `Remove ${name}${o.purge ? ' and purge its data' : ''}`, specs);
      return { change, revision: app.current };
    });
  }

  /** Lets refresh offer a blocked revision again (all of the app's when none is named); returns those cleared. */
  async unblock(name: string, revision?: number): Promise<number[]> {
    requireRoot('unblock');
    return this.locked(async () => {
      const { state } = this.device;
      if (!state.app(name)) throw new NotInstalledError(name);
      const blocked = state.blocked(name).map((b) => b.rev);
      if (revision !== undefined && !blocked.includes(revision)) throw new NotBlockedError(name, revision, blocked);
      const cleared = revision === undefined ? blocked : [revision];
      state.tx(() => { for (const rev of cleared) state.unblock(name, rev); });
      return cleared;
    });
  }

  /** Start-up: mount retained revisions again, then recover interrupted changes. */
  async boot(): Promise<{ warnings: string[]; recovered: ChangeRow[] }> {
    requireRoot('boot');
    const lock = await DeviceLock.acquire(this.device.state, { wait: this.opts.wait ?? true });
    try { return await this.bootHeld(); } finally { lock.release(); }
  }

  /** boot's steps, for skiffd, which holds the device lock already (for as long as it runs). */
  async bootHeld(): Promise<{ warnings: string[]; recovered: ChangeRow[] }> {
    const warnings = [...tightenDataFolders(this.device.paths), ...remountAll(this.env)];
    const recovered = await recoverChanges(this.runner);
    return { warnings, recovered };
  }

  /** Asks a change to stop; when no live process runs it, it is undone here and now. */
  async abort(id: number): Promise<ChangeRow> {
    this.runner.requestAbort(id);
    if (DeviceLock.holder(this.device.state)) return this.runner.change(id);
    await this.locked(async () => undefined);
    return this.runner.change(id);
  }

  /**
   * Sets a device setting. A larger data.max-size also grows every mounted data volume online; the
   * returned notes name those the kernel would not grow online (they grow at their next mount).
   */
  async configSet(key: string, value: string): Promise<string[]> {
    checkSetting(key, value);
    const { state } = this.device;
    if (key !== DATA_MAX_SIZE) { state.tx(() => state.configSet(key, value)); return []; }
    requireRoot(`config set ${DATA_MAX_SIZE}`);
    return this.locked(async () => {
      checkNoShrink(this.device, parseSize(value));
      state.tx(() => state.configSet(key, value));
      return growMountedVolumes(this.device, parseSize(value));
    });
  }

  /** What the store offers for an app, verified through TUF: its channel map (what `snap info` shows before installing). */
  async storeChannels(name: string): Promise<ChannelMapDocument> {
    return this.locked(async () => {
      const trust = this.env.trust();
      await trust.refresh();
      return trust.channelMap(name);
    });
  }

  /** Writes the store URL and the trusted root under the device root. */
  async setup(storeUrl: string, rootJsonFile: string): Promise<void> {
    const rootJson = await checkSetup(storeUrl, rootJsonFile);
    const p = this.device.paths;
    for (const d of [p.stateDir, p.trustDir, p.bundlesDir, p.appsDir, p.dataDir]) mkdirSync(d, { recursive: true, mode: 0o755 });
    await DeviceTrust.installRoot(p.trustDir, rootJson);
    this.device.state.tx(() => this.device.state.configPut('store.url', storeUrl.replace(/\/+$/, '')));
  }

}
