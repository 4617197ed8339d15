// A running app swaps folders of its data for symlinks to host files while root copies (refresh) and
// deletes (prune, purge) that data. Root must touch nothing outside the app's data.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { openDevice } from '@skiff/client/dist/src/device';
import { copyRevisionData, removeAppData } from '@skiff/client/dist/src/device/appdata';
import { DeviceLayout } from '@skiff/bundle';
import { mountVolumeAt, unmountVolumeAt } from '@skiff/client/dist/src/device/data-volume';
import type { AppContext } from '@skiff/confinement';
import { publishBundle, type RunningStore } from '../src/store';
import { skiff, skiffAsync, skiffJson, openSetUpWorld, closeDeviceWorld, rootSkipReason } from '../src/device-fixture';
import { Canary, makeRacerBundle, notOwnedBy, setuidFiles, startRacer, thawApp, type Racer } from '../src/data-race';

/** Runs of each data operation against the racing app (the issue asks for at least 200). */
const RACE_RUNS = 200;
const NAME = 'racer';

/** The racer is compiled here with `cc -static`. */
const skip = rootSkipReason() || (spawnSync('sh', ['-c', 'command -v cc']).status === 0 ? false : 'needs cc to build the racer app');

describe('data operations against an app racing with symlink swaps', { skip }, () => {
  let store: RunningStore | undefined;
  let work = '';
  let root = '';
  let canary: Canary;
  const racers: Racer[] = [];

  const ctx = (): AppContext => { const d = openDevice(root); try { return d.appContext(NAME); } finally { d.close(); } };
  const appData = (): string => join(root, 'var/skiff', NAME);
  const revData = (rev: number): string => join(appData(), String(rev));
  const publish = async (version: string): Promise<number> =>
    (await publishBundle(store!, await makeRacerBundle(work, NAME, version), { channel: 'stable' })).revision;
  const racer = async (c: AppContext): Promise<Racer> => {
    const r = await startRacer(c, canary.dir, revData(c.revision));
    racers.push(r);
    return r;
  };
  /** A fresh data folder for a revision, as copy-data makes it. */
  const makeData = (c: AppContext): void => {
    for (const [dir, uid, mode] of [[appData(), 0, 0o700], [revData(c.revision), c.uid, 0o700], [join(appData(), 'common'), c.uid, 0o700]] as const) {
      if (!existsSync(dir)) mkdirSync(dir);
      chownSync(dir, uid, uid);
      chmodSync(dir, mode);
    }
  };

  before(async () => {
    ({ store, work, root } = await openSetUpWorld('race'));
    canary = new Canary(join(work, 'canary'));
    await publish('1.0');
    const r = skiff(root, ['install', NAME]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(async () => {
    thawApp(NAME);
    for (const r of racers) await r.stop();
    await closeDeviceWorld({ store, work, root });
  });

  test(`the copy refresh makes, ${RACE_RUNS} times: nothing outside copied, every copied entry the app's, no setuid`, async (t) => {
    const c = ctx();
    const r = await racer(c);
    let raced = 0;
    try {
      for (let i = 0; i < RACE_RUNS; i++) {
        const lines = copyRevisionData(new DeviceLayout(root), NAME, c.revision, 'copy', c.uid);
        raced += lines.filter((l) => /changed while copied|vanished/.test(l)).length;
        assert.deepEqual(notOwnedBy(join(appData(), 'copy'), c.uid), [], `run ${i}`);
        assert.deepEqual(setuidFiles(join(appData(), 'copy')), [], `run ${i}`);
        canary.check(`copy run ${i}`);
        removeAppData(join(appData(), 'copy'));
      }
    } finally { await r.stop(); }
    t.diagnostic(`entries swapped under the copy (skipped, never followed): ${raced}`);
    assert.deepEqual(setuidFiles(root, [revData(c.revision)]), []);
  });

  test(`the delete prune makes, ${RACE_RUNS} times: a racing app's data goes, nothing outside it`, async () => {
    const c = ctx();
    for (let i = 0; i < RACE_RUNS; i++) {
      makeData(c);
      const r = await racer(c);
      try { removeAppData(revData(c.revision)); } finally { await r.stop(); }
      assert.equal(existsSync(revData(c.revision)), false);
      canary.check(`prune run ${i}`);
    }
    makeData(c);
    assert.deepEqual(setuidFiles(root), []);
  });

  // An app installed before data volumes keeps a plain data folder, which purge deletes by walking it;
  // a volume's purge deletes the image and walks nothing (the CLI test below).
  test(`the delete purge makes of a data folder without a volume, ${RACE_RUNS} times: a racing app's data goes, nothing outside it`, async () => {
    const c = ctx();
    const image = new DeviceLayout(root).volumeImage(NAME);
    unmountVolumeAt(appData());
    for (let i = 0; i < RACE_RUNS; i++) {
      makeData(c);
      const r = await racer(c);
      try {
        removeAppData(join(root, 'var/lib/skiff/snapshots', NAME));
        removeAppData(appData());
      } finally { await r.stop(); }
      assert.equal(existsSync(appData()), false);
      canary.check(`purge run ${i}`);
    }
    mountVolumeAt(image, appData()); // the installed app's volume again, for the tests below
    assert.deepEqual(setuidFiles(root), []);
  });

  test('skiff boot closes a data folder left 0755 by an older device: root-owned 0700', () => {
    chmodSync(appData(), 0o755);
    const r = skiff(root, ['boot']);
    assert.equal(r.status, 0, r.stderr);
    const st = statSync(appData());
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o700, 0, 0]);
  });

  test('skiff refresh, prune and remove --purge through the CLI with the racer running (frozen)', async () => {
    const first = ctx();
    const a = await racer(first);
    try {
      await publish('1.1');
      let r = await skiffAsync(root, ['refresh', NAME]);
      assert.equal(r.status, 0, r.stderr);
      const second = ctx();
      assert.deepEqual(notOwnedBy(revData(second.revision), second.uid), []);
      const modes = [appData(), revData(second.revision)].map((d) => { const st = statSync(d); return [st.mode & 0o7777, st.uid]; });
      assert.deepEqual(modes, [[0o700, 0], [0o700, second.uid]], 'var/skiff/<name> root 0700, the revision folder the app\'s 0700');
      assert.deepEqual(setuidFiles(root, [revData(first.revision)]), []);
      canary.check('refresh');
      await publish('1.2');
      r = await skiffAsync(root, ['refresh', NAME]);  // retain 2: prunes the first revision, the racer's /data
      assert.equal(r.status, 0, r.stderr);
      assert.equal(existsSync(revData(first.revision)), false);
      canary.check('refresh with prune');
    } finally { await a.stop(); }
    const b = await racer(ctx());
    try {
      const r = await skiffAsync(root, ['remove', NAME, '--purge']);
      assert.equal(r.status, 0, r.stderr);
    } finally { await b.stop(); }
    assert.equal(existsSync(appData()), false);
    canary.check('remove --purge');
    assert.deepEqual(setuidFiles(root), []);
    assert.deepEqual(skiffJson<unknown[]>(root, ['list']), []);
    // Each data task of the two refreshes and the remove froze the running racer first.
    const db = new Database(join(root, 'var/lib/skiff/state.db'), { readonly: true });
    try {
      const logs = db.prepare("SELECT kind, log FROM tasks WHERE kind IN ('copy-data', 'prune', 'keep-data', 'keep-volume') ORDER BY id").all() as { kind: string; log: string }[];
      const frozen = logs.filter((t) => /froze 1 cgroup/.test(t.log)).map((t) => t.kind);
      assert.deepEqual(frozen, ['copy-data', 'prune', 'copy-data', 'prune'], JSON.stringify(logs));
      // The purge of a volume walks nothing to freeze for: it unmounts the volume and deletes its image.
      assert.deepEqual(logs.filter((t) => t.kind === 'keep-volume').length, 1);
      assert.equal(existsSync(new DeviceLayout(root).volumeImage(NAME)), false);
    } finally { db.close(); }
  });
});
