// Automatic refresh against a real store on 127.0.0.1 and real mounts: a check that finds nothing costs one
// request; a failed revision is backed off; a running app postpones its refresh; and, in a real skiffd,
// windows refresh apps while holds (set through its API) keep them where they are across its restarts.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { publishBundle, type RunningStore } from '../src/store';
import { TrustProxy } from '../src/trust-proxy';
import {
  SKIFF, closeDeviceWorld, makeBundle, openDeviceWorld, openSetUpWorld, rootSkipReason, setupDevice, skiff, skiffAsync, skiffJson, viewDevice,
  withDevice, type DeviceWorld,
} from '../src/device-fixture';
import { openDevice } from '@skiff/client/dist/src/device';
import { DeviceOps } from '@skiff/client/dist/src/device/ops';
import { runAutoRefreshCheck, type CheckResult } from '@skiff/client/dist/src/device/autorefresh/check';
import { runningLaunches } from '@skiff/client/dist/src/device/autorefresh/gate';
import { autoRefreshModule } from '@skiff/client/dist/src/device/autorefresh/module';
import { DeviceLayout } from '@skiff/bundle';
import { SkiffdProcess } from '../src/skiffd-process';

const HOUR_MS = 3_600_000;

/** Polls cond until it holds or the deadline passes (a real clock; never a fixed sleep). */
async function waitFor<T>(what: string, cond: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One check in this process, as the agent runs it, at a chosen `now`, for the named apps only. */
async function checkNow(root: string, only: string[] | undefined, now = new Date()): Promise<CheckResult> {
  const device = openDevice(root);
  try {
    const ops = new DeviceOps(device, { progress: false });
    const lines: object[] = [];
    const log = { info: (o: object) => lines.push(o), warn: (o: object) => lines.push(o), error: (o: object) => lines.push(o) };
    return await runAutoRefreshCheck({ device, log, now, ...(only ? { only } : {}), withApp: (_name, fn) => fn(ops) });
  } finally { device.close(); }
}

const current = (root: string, name: string): number | null => viewDevice(root, name).current;

describe('auto-refresh: a check that finds nothing', { skip: rootSkipReason() }, () => {
  let world: Partial<DeviceWorld> = {};
  let proxy: TrustProxy | undefined;
  before(async () => {
    world = await openDeviceWorld('autorefresh-quiet');
    proxy = await TrustProxy.start(world.store!.url);
    await setupDevice(world.root!, { url: proxy.url, rootJsonPath: world.store!.rootJsonPath });
  });
  after(async () => { await proxy?.stop(); await closeDeviceWorld(world); });

  test('downloads timestamp.json and nothing else; a new release is found by the next check', async () => {
    const { store, work, root } = world as DeviceWorld;
    await publishBundle(store, await makeBundle(work, { name: 'ar-quiet', version: '1.0' }), { channel: 'stable' });
    await withDevice(root, (ops) => ops.install('ar-quiet'));
    assert.deepEqual((await checkNow(root, undefined)).outcomes.map((o) => o.status), ['up-to-date']);
    proxy!.clear();
    const quiet = await checkNow(root, undefined);
    assert.equal(quiet.nothingNew, true);
    assert.deepEqual(proxy!.requests.map((r) => r.path), ['/repo/metadata/timestamp.json']);

    // Another app's release changes the repository, not this app's channel map: the map is not downloaded again.
    await publishBundle(store, await makeBundle(work, { name: 'ar-other', version: '1.0' }), { channel: 'stable' });
    proxy!.clear();
    assert.deepEqual((await checkNow(root, undefined)).outcomes.map((o) => o.status), ['up-to-date']);
    assert.ok(proxy!.requests.some((r) => r.path === '/repo/metadata/timestamp.json'), 'the check looked');
    assert.deepEqual(proxy!.requests.filter((r) => r.path.includes('/targets/')).map((r) => r.path), [], 'no target downloaded');

    const rev2 = (await publishBundle(store, await makeBundle(work, { name: 'ar-quiet', version: '2.0' }), { channel: 'stable' })).revision;
    assert.deepEqual((await checkNow(root, undefined)).outcomes.map((o) => o.status), ['refreshed']);
    assert.equal(current(root, 'ar-quiet'), rev2);
  });
});

describe('auto-refresh: the agent module and a store that does not answer', { skip: rootSkipReason() }, () => {
  let world: Partial<DeviceWorld> = {};
  let proxy: TrustProxy | undefined;
  before(async () => {
    world = await openDeviceWorld('autorefresh-module');
    proxy = await TrustProxy.start(world.store!.url);
    await setupDevice(world.root!, { url: proxy.url, rootJsonPath: world.store!.rootJsonPath });
  });
  after(async () => { await proxy?.stop(); await closeDeviceWorld(world); });

  test('a failing store is tried again with backoff within the window and logged once', async () => {
    const { store, work, root } = world as DeviceWorld;
    await publishBundle(store, await makeBundle(work, { name: 'ar-mod', version: '1.0' }), { channel: 'stable' });
    await withDevice(root, (ops) => ops.install('ar-mod'));
    const rev2 = (await publishBundle(store, await makeBundle(work, { name: 'ar-mod', version: '2.0' }), { channel: 'stable' })).revision;
    // A window that began a minute ago: the module checks at once.
    const now = Date.now();
    await withDevice(root, (ops) => ops.configSet('refresh.timer', `${hhmm(new Date(now - 60_000))}-${hhmm(new Date(now + 30 * 60_000))}`));
    const TIMESTAMP = '/repo/metadata/timestamp.json';
    proxy!.on(TIMESTAMP, { kind: 'status', status: 404 }, 3);
    const lines: Record<string, unknown>[] = [];
    const push = (o: object) => { lines.push(o as Record<string, unknown>); };
    const device = openDevice(root);
    const ops = new DeviceOps(device, { progress: false });
    const module = autoRefreshModule({ storeRetryFirstMs: 100 });
    try {
      await module.start({ root, layout: new DeviceLayout(root), log: { info: push, warn: push, error: push }, withApp: (_n, fn) => fn(ops) });
      const check = await waitFor('a check', () => lines.find((l) => l.event === 'refresh-check'), 60_000);
      assert.deepEqual(check.outcomes, [{ app: 'ar-mod', status: 'refreshed' }]);
      assert.equal(current(root, 'ar-mod'), rev2);
      assert.ok(proxy!.requestsFor(TIMESTAMP).length >= 4, 'three failed attempts, then one that worked');
      assert.equal(lines.filter((l) => l.event === 'store-unreachable').length, 1, 'one line for one cause');
      assert.ok(lines.some((l) => l.event === 'store-reachable'));
      assert.ok(Date.parse(module.times().next!) > Date.now(), 'the next check is planned in a later window');
    } finally {
      await module.stop();
      device.close();
    }
    assert.throws(() => module.times(), /not started/);
  });
});

describe('auto-refresh: backoff and postponement', { skip: rootSkipReason() }, () => {
  let world: Partial<DeviceWorld> = {};
  before(async () => { world = await openSetUpWorld('autorefresh-gates'); });
  after(async () => { await closeDeviceWorld(world); });
  const publish = async (name: string, version: string, spec: { preRefresh?: string; script?: string } = {}): Promise<number> =>
    (await publishBundle(world.store!, await makeBundle(world.work!, { name, version, ...spec }), { channel: 'stable' })).revision;

  test('a failed revision is not tried again automatically for 8 h, then 12 h; a manual refresh still tries it', async () => {
    const { root } = world as DeviceWorld;
    // The installed revision's pre-refresh hook fails: every refresh from it fails and is undone, unblocked.
    const rev1 = await publish('ar-back', '1.0', { preRefresh: 'exit 1' });
    assert.equal(skiff(root, ['install', 'ar-back']).status, 0);
    const rev2 = await publish('ar-back', '2.0');
    const t0 = new Date();
    const at = (hours: number) => new Date(t0.getTime() + hours * HOUR_MS);
    const status = async (hours: number) => (await checkNow(root, ['ar-back'], at(hours))).outcomes.map((o) => o.status);
    const changes = () => skiffJson<unknown[]>(root, ['changes']).length;

    assert.deepEqual(await status(0), ['failed']);
    const afterFirst = changes();
    assert.deepEqual(await status(7.9), ['backoff'], 'within 8 h of the first failure');
    assert.equal(changes(), afterFirst, 'a backed-off revision makes no change');
    assert.deepEqual(await status(8.1), ['failed'], 'tried again after 8 h');
    assert.deepEqual(await status(8.1 + 11.9), ['backoff'], 'within 12 h of the second failure');
    assert.deepEqual(await status(8.1 + 12.1), ['failed']);
    assert.equal(current(root, 'ar-back'), rev1);
    const manual = skiff(root, ['refresh', 'ar-back']);
    assert.equal(manual.status, 1, 'the gate is automatic refresh\'s only');
    assert.match(manual.stderr, new RegExp(`Refresh ar-back from revision ${rev1} to ${rev2}`));
  });

  test('an app running from `skiff run` postpones its refresh until it ends, or until refresh.max-postpone', async (t) => {
    const { root } = world as DeviceWorld;
    await publish('ar-run', '1.0', { script: 'read line; echo "bye $line"' });
    assert.equal(skiff(root, ['install', 'ar-run']).status, 0);
    const rev2 = await publish('ar-run', '2.0', { script: 'read line; echo "bye $line"' });
    const runs: ChildProcess[] = [];
    t.after(() => { for (const c of runs) c.kill('SIGKILL'); });
    const startRun = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, [SKIFF, '--root', root, 'run', 'ar-run'], { stdio: ['pipe', 'pipe', 'inherit'] });
      runs.push(child);
      await waitFor('ar-run to run', () => runningLaunches('ar-run').length > 0, 30_000);
      return child;
    };
    const ended = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

    const first = await startRun();
    assert.deepEqual((await checkNow(root, ['ar-run'])).outcomes.map((o) => o.status), ['postponed']);
    first.stdin!.end('now\n');
    assert.equal(await ended(first), 0);
    await waitFor('its cgroup to empty', () => runningLaunches('ar-run').length === 0, 30_000);
    assert.deepEqual((await checkNow(root, ['ar-run'])).outcomes.map((o) => o.status), ['refreshed']);
    assert.equal(current(root, 'ar-run'), rev2);

    // Past refresh.max-postpone (14 days by default) the refresh goes ahead under the running app.
    const rev3 = await publish('ar-run', '3.0', { script: 'read line; echo "bye $line"' });
    const second = await startRun();
    const t0 = new Date();
    assert.deepEqual((await checkNow(root, ['ar-run'], t0)).outcomes.map((o) => o.status), ['postponed']);
    assert.deepEqual((await checkNow(root, ['ar-run'], new Date(t0.getTime() + 13 * 24 * HOUR_MS))).outcomes.map((o) => o.status), ['postponed']);
    assert.deepEqual((await checkNow(root, ['ar-run'], new Date(t0.getTime() + 14 * 24 * HOUR_MS + 60_000))).outcomes.map((o) => o.status), ['refreshed']);
    assert.equal(current(root, 'ar-run'), rev3);
    second.stdin!.end('later\n');
    assert.equal(await ended(second), 0);
  });
  test('refresh NAME --revision N refreshes to a blocked revision and, once it runs, unblocks it', async () => {
    const { root } = world as DeviceWorld;
    await publish('ar-rev', '1.0');
    assert.equal(skiff(root, ['install', 'ar-rev']).status, 0);
    const rev2 = await publish('ar-rev', '2.0');
    assert.equal(skiff(root, ['refresh', 'ar-rev']).status, 0);
    assert.equal(skiff(root, ['revert', 'ar-rev']).status, 0, 'a revert blocks the revision it leaves');
    assert.deepEqual(skiffJson<{ blocked: { revision: number }[] }>(root, ['info', 'ar-rev']).blocked.map((b) => b.revision), [rev2]);
    assert.match(skiff(root, ['refresh', 'ar-rev']).stdout, new RegExp(`revision ${rev2} is blocked`));
    const usage = skiff(root, ['refresh', '--revision', String(rev2)]);
    assert.deepEqual([usage.status, usage.stderr], [2, 'skiff: refresh --revision takes exactly one app name\n']);
    const r = skiff(root, ['refresh', 'ar-rev', '--revision', String(rev2)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ar-rev 2.0 \(revision \d+\) refreshed/);
    assert.deepEqual([current(root, 'ar-rev'), skiffJson<{ blocked: unknown[] }>(root, ['info', 'ar-rev']).blocked], [rev2, []]);
  });

  test('the agent module waits for a running app and refreshes it once its process ends', async (t) => {
    const { root } = world as DeviceWorld;
    await publish('ar-wait', '1.0', { script: 'read line' });
    assert.equal(skiff(root, ['install', 'ar-wait']).status, 0);
    const rev2 = await publish('ar-wait', '2.0', { script: 'read line' });
    const run = spawn(process.execPath, [SKIFF, '--root', root, 'run', 'ar-wait'], { stdio: ['pipe', 'ignore', 'inherit'] });
    t.after(() => { run.kill('SIGKILL'); });
    await waitFor('ar-wait to run', () => runningLaunches('ar-wait').length > 0, 30_000);
    // A window that began a minute ago, never used on this device: the module checks at once.
    const now = Date.now();
    await withDevice(root, (ops) => ops.configSet('refresh.timer', `${hhmm(new Date(now - 60_000))}-${hhmm(new Date(now + 30 * 60_000))}`));
    const lines: Record<string, unknown>[] = [];
    const push = (o: object) => { lines.push(o as Record<string, unknown>); };
    const device = openDevice(root);
    const ops = new DeviceOps(device, { progress: false });
    const module = autoRefreshModule({ postponeRecheckMs: 300 });
    const outcome = (status: string) => () => lines.find((l) => l.event === 'refresh' && l.app === 'ar-wait' && l.status === status);
    try {
      await module.start({ root, layout: new DeviceLayout(root), log: { info: push, warn: push, error: push }, withApp: (_n, fn) => fn(ops) });
      await waitFor('the refresh to be postponed', outcome('postponed'), 60_000);
      assert.equal(current(root, 'ar-wait'), viewDevice(root, 'ar-wait').mounted[0], 'still on its first revision');
      run.stdin!.end('done\n');
      await waitFor('the refresh once the app ended', outcome('refreshed'), 60_000);
      assert.equal(current(root, 'ar-wait'), rev2);
    } finally {
      await module.stop();
      device.close();
    }
  });
});

/** The next check skiffd logged after its line count `from`. */
const nextCheck = (agent: SkiffdProcess, from: number, timeoutMs: number): Promise<Record<string, unknown>> =>
  waitFor('a refresh check', () => agent.lines().slice(from).find((l) => l.event === 'refresh-check'), timeoutMs);

/** Local HH:MM of a time (the timer is in the device's local time, as the agent reads it). */
const hhmm = (t: Date): string => `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;

describe('auto-refresh in a real skiffd: windows and holds across restarts', { skip: rootSkipReason() }, () => {
  let world: Partial<DeviceWorld> = {};
  let agent: SkiffdProcess | undefined;
  before(async () => { world = await openSetUpWorld('autorefresh-agent'); });
  after(async () => { await agent?.stop(); await closeDeviceWorld(world); });

  test('a window a minute from now refreshes; a hold (per app, forever, global) keeps an app across a restart; --unhold lets the next window refresh it', async () => {
    const { store, work, root } = world as DeviceWorld;
    const publish = async (name: string, version: string) =>
      (await publishBundle(store as RunningStore, await makeBundle(work, { name, version }), { channel: 'stable' })).revision;
    const ok = async (args: string[]): Promise<string> => {
      const r = await skiffAsync(root, args);
      assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await publish('ar-free', '1.0');
    const held1 = await publish('ar-held', '1.0');
    await ok(['install', 'ar-free']);
    await ok(['install', 'ar-held']);
    const free2 = await publish('ar-free', '2.0');
    const held2 = await publish('ar-held', '2.0');

    assert.equal((await ok(['refresh', '--hold', 'ar-held'])).trim(), 'ar-held: automatic refresh held forever');
    const listed = skiffJson<{ name: string; held: boolean }[]>(root, ['list']);
    assert.deepEqual(listed.map((a) => [a.name, a.held]), [['ar-free', false], ['ar-held', true]]);
    assert.match(skiff(root, ['list']).stdout, /ar-held .* held/);

    // One-minute windows from the next minute on (at least 30 s away): the first one is "a minute from now".
    const start = new Date(Math.ceil((Date.now() + 30_000) / 60_000) * 60_000);
    const timer = `${hhmm(start)}-${hhmm(new Date(start.getTime() + 20 * 60_000))}/20`;
    await ok(['config', 'set', 'refresh.timer', timer]);
    const times = skiffJson<{ timer: string; next: string; holds: { all: string | null; apps: { name: string; until: string }[] } }>(root, ['refresh', '--time']);
    assert.equal(times.timer, timer);
    assert.equal(times.next, start.toISOString());
    assert.deepEqual(times.holds, { all: null, apps: [{ name: 'ar-held', until: 'forever' }] });
    const apps = () => [current(root, 'ar-free'), current(root, 'ar-held')];

    agent = await SkiffdProcess.start(root);
    const w1 = await nextCheck(agent, 0, 180_000);
    assert.ok(Date.now() >= start.getTime(), 'not before the window');
    assert.deepEqual(w1.held, ['ar-held']);
    assert.deepEqual(w1.outcomes, [{ app: 'ar-free', status: 'refreshed' }]);
    assert.deepEqual(apps(), [free2, held1]);
    assert.equal(await agent.stop(), 0);

    // Restarted, the agent finds the app's hold in state.db: a later window refreshes only the other app.
    const free3 = await publish('ar-free', '3.0');
    agent = await SkiffdProcess.start(root);
    const w2 = await nextCheck(agent, 0, 180_000);
    assert.deepEqual([w2.held, w2.outcomes], [['ar-held'], [{ app: 'ar-free', status: 'refreshed' }]]);
    assert.deepEqual(apps(), [free3, held1]);
    assert.equal(await agent.stop(), 0);

    // A hold of every app (refresh.hold), then a restart: nothing moves, and a manual refresh of all skips both.
    await ok(['config', 'set', 'refresh.hold', 'forever']);
    const free4 = await publish('ar-free', '4.0');
    const manual = await ok(['refresh']);
    assert.match(manual, /ar-free is held until forever; not refreshed \(refresh.hold; name it, or `skiff refresh --unhold`\)/);
    assert.match(manual, /ar-held is held until forever/);
    agent = await SkiffdProcess.start(root);
    const w3 = await nextCheck(agent, 0, 180_000);
    assert.deepEqual(w3.held, ['*']);
    assert.deepEqual(apps(), [free3, held1]);

    // --unhold with no name lifts every hold; the agent's next window refreshes both.
    const mark = agent.lines().length;
    assert.equal((await ok(['refresh', '--unhold'])).trim(), 'every app: automatic refresh no longer held');
    assert.deepEqual(skiffJson<{ holds: unknown }>(root, ['refresh', '--time']).holds, { all: null, apps: [] });
    const w4 = await nextCheck(agent, mark, 180_000);
    assert.deepEqual(w4.outcomes, [{ app: 'ar-free', status: 'refreshed' }, { app: 'ar-held', status: 'refreshed' }]);
    assert.deepEqual(apps(), [free4, held2]);
    assert.equal(await agent.stop(), 0);
    agent = undefined;

    // A held app named on the command line is refreshed by hand; the hold stays.
    const held3 = await publish('ar-held', '3.0');
    await ok(['refresh', '--hold=2w', 'ar-held']);
    assert.match(await ok(['refresh', 'ar-held']), /ar-held 3.0 \(revision \d+\) refreshed/);
    assert.equal(current(root, 'ar-held'), held3);
    assert.equal(skiffJson<{ holds: { apps: { name: string }[] } }>(root, ['refresh', '--time']).holds.apps[0]?.name, 'ar-held');
    assert.equal(skiffJson<{ held: { scope: string } }>(root, ['info', 'ar-held']).held.scope, 'app');
    assert.match(skiff(root, ['info', 'ar-held']).stdout, /held: +automatic refresh until 20/);
  });
});
