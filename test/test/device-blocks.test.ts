// Blocked revisions against a real store and real mounts: `info` says which and why, `unblock` clears
// them, `remove --purge` forgets them, and a revert to a blocked revision unblocks it (undone with the revert).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { publishBundle, type RunningStore } from '../src/store';
import { skiff, skiffJson, makeBundle, openSetUpWorld, closeDeviceWorld, rootSkipReason } from '../src/device-fixture';

interface Info {
  revision: number;
  revisions: { revision: number; blocked: string | null }[];
  blocked: { revision: number; reason: string; at: string }[];
}

describe('device: blocked revisions', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let work = '';
  let root = '';

  before(async () => {
    ({ store, work, root } = await openSetUpWorld('blocks'));
  });
  after(async () => {
    await closeDeviceWorld({ store, work, root });
  });

  // Each test has its own app, so the store's channels of one never reach another.
  const publish = async (name: string, version: string, checkHealth = 0): Promise<number> =>
    (await publishBundle(store!, await makeBundle(work, { name, version, checkHealth }), { channel: 'stable' })).revision;
  const ok = (args: string[]): string => {
    const r = skiff(root, args);
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const info = (name: string): Info => skiffJson<Info>(root, ['info', name]);
  const offered = (): number[] => skiffJson<{ to: number }[]>(root, ['refresh', '--list']).map((u) => u.to);
  /** Installs a good revision, then refreshes to one whose check-health fails: that one is blocked. */
  const withFailedRefresh = async (name: string): Promise<{ good: number; bad: number }> => {
    const good = await publish(name, '1.0');
    ok(['install', name]);
    const bad = await publish(name, '1.1', 1);
    assert.equal(skiff(root, ['refresh', name]).status, 1);
    return { good, bad };
  };

  test('info says which revisions are blocked and why; unblock clears them and refresh offers them again', async () => {
    const { good, bad } = await withFailedRefresh('blk-unblock');
    const i = info('blk-unblock');
    assert.deepEqual(i.blocked.map((b) => b.revision), [bad]);
    assert.match(i.blocked[0]!.reason, /check-health hook failed/);
    assert.deepEqual(i.revisions.map((r) => [r.revision, r.blocked]), [[good, null]]);
    assert.match(ok(['info', 'blk-unblock']), new RegExp(`${bad}  check-health hook failed`));
    assert.deepEqual(offered(), []);
    assert.match(ok(['refresh', 'blk-unblock']), new RegExp(`revision ${bad} is blocked .*\`skiff unblock blk-unblock ${bad}\` allows it`));

    const wrong = skiff(root, ['unblock', 'blk-unblock', String(good)]);
    assert.equal(wrong.status, 1);
    assert.equal(wrong.stderr.trim(), `skiff: revision ${good} of blk-unblock is not blocked (blocked: ${bad})`);
    const absent = skiff(root, ['unblock', 'blk-nosuch']);
    assert.equal(absent.status, 1);
    assert.equal(absent.stderr.trim(), 'skiff: blk-nosuch is not installed');

    assert.deepEqual(skiffJson(root, ['unblock', 'blk-unblock']), { name: 'blk-unblock', unblocked: [bad] });
    assert.deepEqual(info('blk-unblock').blocked, []);
    assert.deepEqual(offered(), [bad], 'an unblocked revision is offered again');
    assert.equal(ok(['unblock', 'blk-unblock']).trim(), 'blk-unblock has no blocked revision');
    ok(['remove', 'blk-unblock', '--purge']);
  });

  test('remove --purge forgets the blocked revisions; a plain remove keeps them', async () => {
    const { good, bad } = await withFailedRefresh('blk-purge');
    ok(['remove', 'blk-purge']);
    ok(['install', 'blk-purge', '--revision', String(good)]);
    assert.deepEqual(info('blk-purge').blocked.map((b) => b.revision), [bad], 'kept by a plain remove, like the data');
    ok(['remove', 'blk-purge', '--purge']);
    ok(['install', 'blk-purge', '--revision', String(good)]);
    assert.deepEqual(info('blk-purge').blocked, [], 'purge forgets the blocks with the data');
    assert.deepEqual(offered(), [bad]);
    ok(['remove', 'blk-purge', '--purge']);
  });

  test('revert --revision to a blocked revision unblocks it; a revert undone keeps the block as it was', async () => {
    const r1 = await publish('blk-revert', '1.0');
    ok(['install', 'blk-revert']);
    const r2 = await publish('blk-revert', '1.1');
    ok(['refresh', 'blk-revert']);
    ok(['revert', 'blk-revert']);
    const before = info('blk-revert').blocked;
    assert.deepEqual(before.map((b) => [b.revision, b.reason]), [[r2, 'reverted']]);

    // Killed after the unblock, before the switch: the next command undoes the revert, block included.
    const crashed = skiff(root, ['revert', 'blk-revert', '--revision', String(r2)], { SKIFF_TEST_CRASH_AT: 'unblock:do:after' });
    assert.equal(crashed.signal, 'SIGKILL', crashed.stderr);
    const undone = info('blk-revert');
    assert.equal(undone.revision, r1);
    assert.deepEqual(undone.blocked, before, 'the same block, reason and time');

    ok(['revert', 'blk-revert', '--revision', String(r2)]);
    const after = info('blk-revert');
    assert.equal(after.revision, r2);
    assert.deepEqual(after.revisions.map((r) => [r.revision, r.blocked]).sort(), [[r1, 'reverted'], [r2, null]]);
    assert.deepEqual(skiffJson<{ revision: number; blocked: boolean }[]>(root, ['list']).map((a) => [a.revision, a.blocked]), [[r2, false]],
      'the current revision is never shown blocked after the owner chose it');
    ok(['remove', 'blk-revert', '--purge']);
  });
});
