// The full cycle against a real store on loopback, with real mounts: install → refresh → refresh
// (prune) → revert → remove → install (data restored), checking `list --json` and the mount table each step.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { publishBundle, type RunningStore } from '../src/store';
import { skiff, skiffJson, makeBundle, openSetUpWorld, closeDeviceWorld, viewDevice, expectedView, checkStateDb, rootSkipReason, type ListedApp } from '../src/device-fixture';

describe('device: install, refresh, revert, remove from a real store', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let work = '';
  let root = '';

  before(async () => {
    ({ store, work, root } = await openSetUpWorld('cycle'));
  });
  after(async () => {
    await closeDeviceWorld({ store, work, root });
  });

  const publish = async (version: string, checkHealth = 0): Promise<number> =>
    (await publishBundle(store!, await makeBundle(work, { name: 'hello', version, checkHealth }), { channel: 'stable' })).revision;
  const list = (): ListedApp[] => skiffJson<ListedApp[]>(root, ['list']);
  const runs = (version: string): void => {
    const r = skiff(root, ['run', 'hello']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`hello ${version.replace('.', '\\.')}`));
  };
  const checkDevice = (current: number | null, retained: number[]): void => {
    assert.deepEqual(viewDevice(root, 'hello'), expectedView('hello', current, retained));
    assert.deepEqual(checkStateDb(root), { integrity: 'ok', unfinished: 0 });
  };
  const data = (rev: number, file = 'note'): string => join(root, 'var/skiff/hello', String(rev), file);
  const writeAsApp = (file: string, text: string): void => {
    writeFileSync(file, text);
    const { uid, gid } = statSync(dirname(file));
    chownSync(file, uid, gid);
  };

  test('the cycle', async () => {
    const r1 = await publish('1.0');
    assert.equal(skiff(root, ['install', 'hello']).status, 0);
    assert.deepEqual(list().map((a) => [a.name, a.revision, a.version, a.channel, a.dangerous]), [['hello', r1, '1.0', 'latest/stable', false]]);
    checkDevice(r1, [r1]);
    runs('1.0');
    // Written as the app would: owned by its uid (root-owned entries are never copied to an app).
    writeAsApp(data(r1), 'written by 1.0');
    writeAsApp(join(root, 'var/skiff/hello/common/shared'), 'common');

    const again = skiff(root, ['install', 'hello']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already installed/);

    const r2 = await publish('1.1');
    assert.deepEqual(skiffJson<{ name: string; to: number }[]>(root, ['refresh', '--list']).map((u) => [u.name, u.to]), [['hello', r2]]);
    const ref = skiff(root, ['refresh']);
    assert.equal(ref.status, 0, ref.stderr);
    assert.deepEqual(list().map((a) => [a.revision, a.version]), [[r2, '1.1']]);
    checkDevice(r2, [r1, r2]);
    runs('1.1');
    assert.equal(readFileSync(data(r2), 'utf8'), 'written by 1.0', 'data copied forward');
    writeAsApp(data(r2), 'written by 1.1');

    const r3 = await publish('1.2');
    assert.equal(skiff(root, ['refresh', 'hello']).status, 0);
    checkDevice(r3, [r2, r3]); // refresh.retain = 2: revision r1 pruned (unmounted, blob and data deleted)
    runs('1.2');
    assert.equal(skiffJson<unknown[]>(root, ['list', '--all']).length, 2);

    const rev = skiff(root, ['revert', 'hello']);
    assert.equal(rev.status, 0, rev.stderr);
    assert.deepEqual(list().map((a) => [a.revision, a.version]), [[r2, '1.1']]);
    checkDevice(r2, [r2, r3]);
    runs('1.1');
    assert.equal(readFileSync(data(r2), 'utf8'), 'written by 1.1', 'revert uses the revision\'s own data, untouched');
    const info = skiffJson<{ blocked: { revision: number }[]; revisions: { revision: number }[] }>(root, ['info', 'hello']);
    assert.deepEqual(info.blocked.map((b) => b.revision), [r3]);
    assert.deepEqual(info.revisions.map((r) => r.revision).sort(), [r2, r3].sort());
    assert.deepEqual(skiffJson<unknown[]>(root, ['refresh', '--list']), [], 'the reverted-from revision is not offered again');

    const rm = skiff(root, ['remove', 'hello']);
    assert.equal(rm.status, 0, rm.stderr);
    assert.deepEqual(list(), []);
    checkDevice(null, []);
    // The kept data is the app's data volume itself, unmounted (read back by the install below).
    assert.ok(existsSync(join(root, 'var/lib/skiff/data/hello.img')), 'data kept for a later install');
    assert.ok(!existsSync(join(root, 'var/skiff/hello')), 'data volume unmounted, mount point gone');

    assert.equal(skiff(root, ['install', 'hello']).status, 0);
    checkDevice(r3, [r3]);
    assert.equal(readFileSync(data(r3), 'utf8'), 'written by 1.1', 'install restores the kept data');
    assert.equal(readFileSync(join(root, 'var/skiff/hello/common/shared'), 'utf8'), 'common');

    assert.equal(skiff(root, ['remove', 'hello', '--purge']).status, 0);
    checkDevice(null, []);
    assert.ok(!existsSync(join(root, 'var/lib/skiff/snapshots/hello')));
    assert.ok(!existsSync(join(root, 'var/lib/skiff/data/hello.img')), 'purge deletes the data volume');
    const kinds = skiffJson<{ kind: string; status: string }[]>(root, ['changes']).map((c) => `${c.kind}:${c.status}`);
    assert.deepEqual(kinds, ['install:done', 'refresh:done', 'refresh:done', 'revert:done', 'remove:done', 'install:done', 'remove:done']);
  });

  test('a failing check-health rolls back and refresh does not offer that revision again', async () => {
    const r1 = await publish('2.0');
    assert.equal(skiff(root, ['install', 'hello']).status, 0);
    const bad = await publish('2.1', 1);
    const r = skiff(root, ['refresh', 'hello']);
    assert.equal(r.status, 1);
    assert.match(r.stdout + r.stderr, /check-health hook of hello \(revision \d+\) failed: exit status 1/);
    assert.match(r.stdout + r.stderr, new RegExp(`back on revision ${r1}; revision ${bad} is blocked`));
    checkDevice(r1, [r1]);
    runs('2.0');
    assert.deepEqual(skiffJson<unknown[]>(root, ['refresh', '--list']), []);
    const again = skiff(root, ['refresh']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /blocked/);
    checkDevice(r1, [r1]);
    const good = await publish('2.2');
    assert.equal(skiff(root, ['refresh']).status, 0);
    checkDevice(good, [r1, good]);
    assert.equal(skiff(root, ['remove', 'hello', '--purge']).status, 0);
  });

  test('channels: a closed risk follows the next more stable one; refresh --channel switches', async () => {
    const publishTo = async (version: string, channel: string): Promise<number> =>
      (await publishBundle(store!, await makeBundle(work, { name: 'hello', version, checkHealth: 0 }), { channel })).revision;
    const stable = await publishTo('3.0', 'stable');
    assert.equal(skiff(root, ['install', 'hello', '--channel', 'candidate']).status, 0);
    assert.deepEqual(list().map((a) => [a.revision, a.channel]), [[stable, 'latest/candidate']], 'candidate is closed: follows stable');
    const beta = await publishTo('3.1', 'beta');
    assert.deepEqual(skiffJson<unknown[]>(root, ['refresh', '--list']), [], 'candidate never follows beta');
    const r = skiff(root, ['refresh', 'hello', '--channel', 'edge']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(list().map((a) => [a.revision, a.version, a.channel]), [[beta, '3.1', 'latest/edge']]);
    checkDevice(beta, [stable, beta]);
    runs('3.1');
    assert.equal(skiff(root, ['remove', 'hello', '--purge']).status, 0);
  });

  test('installing an app the store does not have: one clear line, nothing installed', () => {
    const r = skiff(root, ['install', 'nonexistent-app']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one clear line');
    checkDevice(null, []);
    assert.deepEqual(viewDevice(root, 'nonexistent-app'), expectedView('nonexistent-app', null, []));
  });
});
