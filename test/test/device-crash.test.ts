// Crash at every task boundary: for install, refresh, revert and remove, SIGKILL the client at the
// start and at the end of each task's do (SKIFF_TEST_CRASH_AT=#<seq>:do:<before|after>), and at each
// undo of a refresh rolled back by check-health; then run the next command and check that the device
// is exactly in the old or the new state, with the current revision mounted and running.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStore, publishBundle, type RunningStore } from '../src/store';
import { skiff, skiffJson, makeBundle, cleanupRoot, checkOldOrNew, rootSkipReason, mountsUnder, type AppState } from '../src/device-fixture';

type State = AppState;

describe('device: a crash at every task boundary leaves the old or the new state', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
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
  });
  after(async () => {
    for (const r of roots) cleanupRoot(r);
    await store?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  let n = 0;
  function freshDevice(): string {
    const root = join(work, `root-${++n}`);
    roots.push(root);
    const r = skiff(root, ['setup', '--store', store!.url, '--trust', store!.rootJsonPath]);
    assert.equal(r.status, 0, r.stderr);
    return root;
  }
  const ok = (root: string, args: string[]): void => {
    const r = skiff(root, args);
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
  };
  const lastChangeTasks = (root: string): number => {
    const changes = skiffJson<{ id: number }[]>(root, ['changes']);
    return skiffJson<{ tasks: unknown[] }>(root, ['tasks', String(changes.at(-1)!.id)]).tasks.length;
  };

  const check = (root: string, label: string, states: State[]): State => checkOldOrNew(root, 'hello', label, states, versions);

  interface Scenario { name: string; prepare(root: string): void; command: string[]; old: State; new: State; undo?: boolean }
  const scenarios = (): Scenario[] => [
    { name: 'install', prepare: () => undefined, command: ['install', 'hello', '--revision', String(r1)],
      old: { current: null, retained: [] }, new: { current: r1, retained: [r1] } },
    { name: 'refresh', prepare: (root) => ok(root, ['install', 'hello', '--revision', String(r1)]), command: ['refresh', 'hello'],
      old: { current: r1, retained: [r1] }, new: { current: r2, retained: [r1, r2] } },
    { name: 'revert', prepare: (root) => { ok(root, ['install', 'hello', '--revision', String(r1)]); ok(root, ['refresh', 'hello']); },
      command: ['revert', 'hello'], old: { current: r2, retained: [r1, r2] }, new: { current: r1, retained: [r1, r2] } },
    { name: 'remove', prepare: (root) => ok(root, ['install', 'hello', '--revision', String(r1)]), command: ['remove', 'hello'],
      old: { current: r1, retained: [r1] }, new: { current: null, retained: [] } },
    // check-health fails: the rollback itself is crashed at each of its undo steps.
    { name: 'refresh rolled back', prepare: (root) => ok(root, ['install', 'hello', '--revision', String(r1)]),
      command: ['refresh', 'hello', '--channel', 'beta'], old: { current: r1, retained: [r1] }, new: { current: r1, retained: [r1] }, undo: true },
  ];

  for (const index of [0, 1, 2, 3, 4]) {
    test(`crash at each task boundary of scenario ${index}`, async (t) => {
      const s = scenarios()[index]!;
      // A clean run first, to count the tasks of this change.
      const probe = freshDevice();
      s.prepare(probe);
      skiff(probe, s.command);
      const tasks = lastChangeTasks(probe);
      cleanupRoot(probe);
      const points: string[] = [];
      for (let seq = 1; seq <= tasks; seq++) {
        for (const when of ['before', 'after']) points.push(`#${seq}:${s.undo ? 'undo' : 'do'}:${when}`);
      }
      let crashed = 0;
      for (const point of points) {
        const root = freshDevice();
        s.prepare(root);
        const r = skiff(root, s.command, { SKIFF_TEST_CRASH_AT: point });
        if (r.signal === 'SIGKILL') crashed++;
        else if (s.undo) continue; // tasks after the failing hook never run, so have no undo boundary
        else assert.fail(`${s.name} ${point}: expected a crash, got ${r.status}: ${r.stderr}`);
        check(root, `${s.name} ${point}`, [s.old, s.new]);
        // The device goes on working: the same command now completes (or is refused cleanly).
        cleanupRoot(root);
        assert.deepEqual(mountsUnder(root), [], `${s.name} ${point}: leaked mounts`);
      }
      t.diagnostic(`${s.name}: ${crashed} crashes over ${points.length} boundaries`);
      assert.ok(crashed >= tasks, `${s.name}: crashed at ${crashed} boundaries`);
    });
  }

  test('after a crash, the interrupted command can be run again', async () => {
    const root = freshDevice();
    ok(root, ['install', 'hello', '--revision', String(r1)]);
    const r = skiff(root, ['refresh', 'hello'], { SKIFF_TEST_CRASH_AT: 'download:do:after' });
    assert.equal(r.signal, 'SIGKILL');
    ok(root, ['refresh', 'hello']);
    check(root, 'rerun', [{ current: r2, retained: [r1, r2] }]);
  });
});
