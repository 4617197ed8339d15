// Crash at every task boundary: for install, refresh, revert and remove, SIGKILL the client at the
// start and at the end of each task's do (SKIFF_TEST_CRASH_AT=#<seq>:do:<before|after>), and at each
// undo of a refresh and of an install rolled back by check-health; then run the next command and check that the device
// is exactly in the old or the new state, with the current revision mounted and running, and the app's
// data volume mounted (nosuid,nodev) exactly while it is installed. Some scenarios also "reboot" after
// the crash (everything unmounted, then `skiff boot`), so recovery starts from a device with no mount.
// A refresh through a delta (download-delta, rebuild) is a scenario too: no overlay, work folder or half-made bundle may outlive it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStore, publishBundle, type RunningStore } from '../src/store';
import * as native from '@skiff/native';
import { DeviceLayout } from '@skiff/bundle';
import { skiff, makeBundle, cleanupRoot, checkOldOrNew, rootSkipReason, mountsUnder, setupDevice, withDevice, loopsGone, type AppState } from '../src/device-fixture';

type State = AppState;

/** cgroups of `prefix` apps whose launcher (the pid in the name) is dead: what a killed skiff leaves. */
function deadCgroups(prefix: string): string[] {
  const hierarchies = ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c))];
  const found: string[] = [];
  for (const dir of hierarchies.map((h) => join(h, 'skiff')).filter((d) => existsSync(d))) {
    for (const name of readdirSync(dir).filter((n) => n.startsWith(prefix))) {
      const pid = /-(\d+)(?:-\d+)?$/.exec(name)?.[1];
      if (pid && !existsSync(`/proc/${pid}`)) found.push(join(dir, name));
    }
  }
  return found;
}

describe('device: a crash at every task boundary leaves the old or the new state', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  /** A store that publishes the delta r1 → r2 (the same revisions as `store`'s): refreshes there go through it. */
  let deltaStore: RunningStore | undefined;
  let work = '';
  const roots: string[] = [];
  let r1 = 0; let r2 = 0; let bad = 0;
  const versions = new Map<number, string>();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
    store = await startStore();
    r1 = (await publishBundle(store, await makeBundle(work, { name: 'hello', version: '1.0', checkHealth: 0 }), { channel: 'stable' })).revision;
    r2 = (await publishBundle(store, await makeBundle(work, { name: 'hello', version: '1.1', checkHealth: 0 }), { channel: 'stable' })).revision;
    bad = (await publishBundle(store, await makeBundle(work, { name: 'hello', version: '1.2', checkHealth: 1 }), { channel: 'beta' })).revision;
    versions.set(r1, '1.0').set(r2, '1.1').set(bad, '1.2');
    deltaStore = await startStore({ deltaSources: 1 });
    for (const version of ['1.0', '1.1']) {
      const dir = join(work, `delta-${version}`);
      await publishBundle(deltaStore, await makeBundle(dir, { name: 'hello', version, checkHealth: 0 }), { channel: 'stable' });
    }
    const deadline = Date.now() + 60_000;
    while (!deltaStore.logs().includes('"delta published"')) {
      if (Date.now() > deadline) assert.fail(`no delta published:\n${deltaStore.logs().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    for (const r of roots) cleanupRoot(r);
    await store?.stop();
    await deltaStore?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  let n = 0;
  async function freshDevice(delta = false): Promise<string> {
    const root = join(work, `root-${++n}`);
    roots.push(root);
    await setupDevice(root, delta ? deltaStore! : store!);
    return root;
  }
  const ok = (root: string, args: string[]): void => {
    const r = skiff(root, args);
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
  };
  const rebuildLog = (root: string): Promise<string> => withDevice(root, async (ops) =>
    ops.runner.tasks(ops.runner.changes().at(-1)!.id).find((t) => t.kind === 'rebuild')?.log ?? '');
  const lastChangeTasks = (root: string): Promise<number> => withDevice(root, async (ops) => ops.runner.tasks(ops.runner.changes().at(-1)!.id).length);
  // Preparing through the library saves a CLI start-up per step; the crash and the next command use the CLI.
  const install1 = (root: string): Promise<unknown> => withDevice(root, (ops) => ops.install('hello', { revision: r1 }));
  const refresh = (root: string, channel?: string): Promise<unknown> => withDevice(root, (ops) => ops.refresh(['hello'], channel ? { channel } : {}));

  const check = (root: string, label: string, states: State[]): Promise<State> => checkOldOrNew(root, 'hello', label, states, versions);

  /** The data volume is mounted nosuid,nodev while the app is installed; else unmounted, its image kept only by a plain remove. */
  async function checkVolume(root: string, label: string, ended: State, kept: boolean): Promise<void> {
    const paths = new DeviceLayout(root);
    const image = paths.volumeImage('hello');
    const mount = native.findMount(paths.appDataDir('hello'));
    if (ended.current !== null) {
      assert.ok(mount?.fsType === 'ext4' && mount.options.includes('nosuid') && mount.options.includes('nodev'), `${label}: data volume ${JSON.stringify(mount)}`);
      return;
    }
    assert.equal(mount, null, `${label}: data volume still mounted`);
    assert.equal(existsSync(image), kept, `${label}: data volume image ${kept ? 'lost' : 'left behind'}`);
    assert.equal(existsSync(`${image}.new`), false, `${label}: half-made image left behind`);
    assert.deepEqual(await loopsGone(image), [], `${label}: loop device left`);
  }

  /** Nothing of an interrupted rebuild outlives the recovery: no overlay, work folder, half-made bundle or delta. */
  function noRebuildLeft(root: string, label: string): void {
    const paths = new DeviceLayout(root);
    assert.deepEqual(existsSync(paths.rebuildDir) ? readdirSync(paths.rebuildDir) : [], [], `${label}: rebuild work left`);
    const left = existsSync(paths.bundlesDir) ? readdirSync(paths.bundlesDir).filter((f) => !f.endsWith('.skiff')) : [];
    assert.deepEqual(left, [], `${label}: files left beside the bundles`);
    assert.ok(!mountsUnder(root).some((m) => m.startsWith(`${paths.rebuildDir}/`)), `${label}: overlay left mounted`);
  }

  /** A reboot: every mount under the root goes, then `skiff boot` mounts and recovers. */
  const reboot = (root: string): void => {
    for (const m of mountsUnder(root)) native.unmount(m);
    ok(root, ['boot']);
  };

  interface Scenario {
    name: string; prepare(root: string): Promise<unknown>; command: string[]; old: State; new: State; undo?: boolean;
    /** Reboot between the crash and the next command. */
    reboot?: boolean;
    /** The new state keeps the data volume's image (a remove without --purge). */
    keepsVolume?: boolean;
    /** On the store that publishes the delta r1 → r2: the refresh downloads it and rebuilds. */
    delta?: boolean;
  }
  const scenarios = (): Scenario[] => [
    { name: 'install', prepare: async () => undefined, command: ['install', 'hello', '--revision', String(r1)],
      old: { current: null, retained: [] }, new: { current: r1, retained: [r1] } },
    { name: 'refresh', prepare: install1, command: ['refresh', 'hello'],
      old: { current: r1, retained: [r1] }, new: { current: r2, retained: [r1, r2] } },
    { name: 'revert', prepare: async (root) => { await install1(root); await refresh(root); },
      command: ['revert', 'hello'], old: { current: r2, retained: [r1, r2] }, new: { current: r1, retained: [r1, r2] } },
    { name: 'remove', prepare: install1, command: ['remove', 'hello'],
      old: { current: r1, retained: [r1] }, new: { current: null, retained: [] }, keepsVolume: true },
    // check-health fails: the rollback itself is crashed at each of its undo steps.
    { name: 'refresh rolled back', prepare: install1,
      command: ['refresh', 'hello', '--channel', 'beta'], old: { current: r1, retained: [r1] }, new: { current: r1, retained: [r1] }, undo: true },
    // The same for a first install: its undo unmounts and deletes everything, past the switch too.
    { name: 'install rolled back', prepare: async () => undefined,
      command: ['install', 'hello', '--revision', String(bad)], old: { current: null, retained: [] }, new: { current: null, retained: [] }, undo: true },
    // The data volume's life: made by install, copied into by refresh, deleted whole by purge; each crash then a reboot.
    { name: 'install, reboot', prepare: async () => undefined, command: ['install', 'hello', '--revision', String(r1)],
      old: { current: null, retained: [] }, new: { current: r1, retained: [r1] }, reboot: true },
    { name: 'refresh, reboot', prepare: install1, command: ['refresh', 'hello'],
      old: { current: r1, retained: [r1] }, new: { current: r2, retained: [r1, r2] }, reboot: true },
    { name: 'remove --purge, reboot', prepare: install1, command: ['remove', 'hello', '--purge'],
      old: { current: r1, retained: [r1] }, new: { current: null, retained: [] }, reboot: true },
    { name: 'remove, reboot', prepare: install1, command: ['remove', 'hello'],
      old: { current: r1, retained: [r1] }, new: { current: null, retained: [] }, reboot: true, keepsVolume: true },
    // The delta's tasks (download-delta, rebuild with its overlay and the new bundle written) are boundaries like the others.
    { name: 'refresh through a delta', prepare: install1, command: ['refresh', 'hello'],
      old: { current: r1, retained: [r1] }, new: { current: r2, retained: [r1, r2] }, delta: true },
    { name: 'refresh through a delta, reboot', prepare: install1, command: ['refresh', 'hello'],
      old: { current: r1, retained: [r1] }, new: { current: r2, retained: [r1, r2] }, delta: true, reboot: true },
  ];

  for (const index of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) {
    test(`crash at each task boundary of scenario ${index}`, async (t) => {
      const s = scenarios()[index]!;
      // A clean run first, to count the tasks of this change.
      const probe = await freshDevice(s.delta);
      await s.prepare(probe);
      skiff(probe, s.command);
      const tasks = await lastChangeTasks(probe);
      if (s.delta) assert.match(await rebuildLog(probe), /rebuilt revision/, `${s.name}: the probe did not go through the delta`);
      cleanupRoot(probe);
      const points: string[] = [];
      for (let seq = 1; seq <= tasks; seq++) {
        for (const when of ['before', 'after']) points.push(`#${seq}:${s.undo ? 'undo' : 'do'}:${when}`);
      }
      let crashed = 0;
      let root: string | null = null;
      for (const point of points) {
        if (root === null) {
          root = await freshDevice(s.delta);
          await s.prepare(root);
        }
        const r = skiff(root, s.command, { SKIFF_TEST_CRASH_AT: point });
        if (r.signal === 'SIGKILL') crashed++;
        else if (s.undo) continue; // tasks after the failing hook never run, so have no undo boundary
        else assert.fail(`${s.name} ${point}: expected a crash, got ${r.status}: ${r.stderr}`);
        if (s.reboot) reboot(root);
        const ended = await check(root, `${s.name} ${point}`, [s.old, s.new]);
        if (s.delta) noRebuildLeft(root, `${s.name} ${point}`);
        await checkVolume(root, `${s.name} ${point}`, ended, ended === s.new && s.keepsVolume === true);
        // A device found in the old state is exactly where the next crash point starts from.
        if (ended !== s.old) {
          cleanupRoot(root);
          assert.deepEqual(mountsUnder(root), [], `${s.name} ${point}: leaked mounts`);
          root = null;
        }
      }
      if (root !== null) cleanupRoot(root);
      t.diagnostic(`${s.name}: ${crashed} crashes over ${points.length} boundaries`);
      assert.ok(crashed >= tasks, `${s.name}: crashed at ${crashed} boundaries`);
    });
  }

  test('after a crash, the interrupted command can be run again', async () => {
    const root = await freshDevice();
    await install1(root);
    const r = skiff(root, ['refresh', 'hello'], { SKIFF_TEST_CRASH_AT: 'download:do:after' });
    assert.equal(r.signal, 'SIGKILL');
    ok(root, ['refresh', 'hello']);
    await check(root, 'rerun', [{ current: r2, retained: [r1, r2] }]);
  });

  test('no cgroup of a hook killed with its skiff is left behind (recovery removes them)', () => {
    assert.deepEqual(deadCgroups('hello.'), []);
  });
});
