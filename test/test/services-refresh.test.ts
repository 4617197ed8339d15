// A refresh commits only once the new revision's services are up: one whose simple service exits
// 2 s after start and one whose notify service never says READY=1 are both undone, the old
// revision's service answers again, and the failed revision is blocked. Install starts services; remove stops them.
// With SKIFF_TEST_TRANSPORT=agent the same commands go through a real skiffd, whose supervisor the changes use.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLayout } from '@skiff/bundle';
import { readShimStatus } from '@skiff/native';
import { openDevice } from '@skiff/client/dist/src/device';
import { skiff, cleanupRoot, rootSkipReason, TRANSPORT } from '../src/device-fixture';
import { SkiffdProcess } from '../src/skiffd-process';
import { makeServiceBundle, killServicesUnder, httpServer, httpGet, freePort, shimsMentioning } from '../src/services-fixture';

describe('services: refresh commits only when they are up', { skip: rootSkipReason() }, () => {
  let work = '';
  let root = '';
  let port = 0;
  let agent: SkiffdProcess | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-services-refresh-'));
    root = join(work, 'root');
    port = await freePort();
    if (TRANSPORT === 'agent') agent = await SkiffdProcess.start(root);
  });

  after(async () => {
    await agent?.stop();
    killServicesUnder(root);
    skiff(root, ['remove', 'web']);
    skiff(root, ['remove', 'rev']);
    cleanupRoot(root);
  });

  const ok = (args: string[]) => {
    const r = skiff(root, args);
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  // The first answer within a deadline: a service started again needs a moment to listen.
  const answerOn = async (on: number, want: string): Promise<string | null> => {
    let got: string | null = null;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && got !== want; await new Promise((r) => setTimeout(r, 50))) got = await httpGet(on);
    return got;
  };
  const answer = (want: string) => answerOn(port, want);
  const blocked = (rev: number): boolean => {
    const d = openDevice(root);
    try { return d.state.isBlocked('web', rev); } finally { d.close(); }
  };
  const current = (): number => {
    const d = openDevice(root);
    try { return d.state.app('web')!.current; } finally { d.close(); }
  };

  test('install starts the service; two failed refreshes are undone and blocked; remove stops it', async () => {
    // Settle 3 s: longer than the 2 s the bad simple service lives.
    const v1 = await makeServiceBundle(work, 'web', '1', { web: { script: httpServer(port, 'v1'), fields: 'daemon: simple' } });
    const v2 = await makeServiceBundle(work, 'web', '2', { web: { script: 'echo v2 starting; sleep 2; exit 1', fields: 'daemon: simple' } });
    const v3 = await makeServiceBundle(work, 'web', '3', { web: { script: httpServer(port, 'v3'), fields: 'daemon: notify\n    ready-timeout: 2s' } });
    ok(['config', 'set', 'services.settle-ms', '3000']);
    ok(['install', '--dangerous', v1]);
    // network-bind is not auto-connected: connecting it rewrites the plan; a restart picks it up.
    ok(['connect', 'web:network-bind']);
    const first = current();
    const runDir = new DeviceLayout(root).serviceRunDir('web', 'web');
    // Without network-bind the first start could not listen: it ends (install does not wait for it).
    for (const deadline = Date.now() + 20_000; readShimStatus(runDir)?.state !== 'exited';) {
      assert.ok(Date.now() < deadline, 'the first start ended');
      await new Promise((r) => setTimeout(r, 50));
    }

    // A refresh to a revision whose service answers: install of v1 again as a new local revision.
    ok(['install', '--dangerous', v1]);
    assert.equal(await answer('v1'), 'v1');
    const good = current();
    assert.ok(good > first);

    for (const [bundle, why] of [[v2, /exited with code 1/], [v3, /no READY=1 within 2000 ms/]] as const) {
      const r = skiff(root, ['install', '--dangerous', bundle]);
      assert.notEqual(r.status, 0, 'the refresh failed');
      assert.match(r.stderr, why);
      const rev = Number(/local revision (\d+)/.exec(r.stderr)?.[1]);
      assert.ok(blocked(rev), `revision ${rev} is blocked`);
      assert.equal(current(), good, 'the old revision is current again');
      assert.equal(await answer('v1'), 'v1', 'and its service answers again');
      assert.equal(shimsMentioning(`${runDir}\0`).length, 1, 'one copy of the service');
    }

    ok(['remove', 'web']);
    assert.equal(await httpGet(port), null, 'remove stopped the service');
    assert.equal(shimsMentioning(`${runDir}\0`).length, 0);
  });

  test('a revert to a revision whose service does not stay up is undone: the current one answers again, the other is blocked', async () => {
    const revPort = await freePort();
    // A lives 4 s, more than the settle time at first (3 s), less than at the revert (6 s).
    const a = await makeServiceBundle(work, 'rev', '1', { rev: { script: httpServer(revPort, 'A', { before: '(sleep 4; kill $$) &' }), fields: 'daemon: simple' } });
    const b = await makeServiceBundle(work, 'rev', '2', { rev: { script: httpServer(revPort, 'B'), fields: 'daemon: simple' } });
    ok(['config', 'set', 'services.settle-ms', '3000']);
    ok(['install', '--dangerous', a]);
    ok(['connect', 'rev:network-bind']);
    ok(['install', '--dangerous', a]);
    ok(['install', '--dangerous', b]);
    assert.equal(await answerOn(revPort, 'B'), 'B');
    const d = openDevice(root);
    const [revA, revB] = [d.state.revisions('rev').map((r) => r.rev).sort()[0]!, d.state.app('rev')!.current];
    d.close();
    ok(['config', 'set', 'services.settle-ms', '6000']);
    const r = skiff(root, ['revert', 'rev', '--revision', String(revA)]);
    assert.notEqual(r.status, 0, 'the revert failed');
    assert.match(r.stderr, /service rev\.rev is not up/);
    const after = openDevice(root);
    try {
      assert.equal(after.state.app('rev')!.current, revB, 'B is current again');
      assert.ok(after.state.isBlocked('rev', revA), `revision ${revA} is blocked`);
    } finally { after.close(); }
    assert.equal(await answerOn(revPort, 'B'), 'B', 'and answers');
    ok(['remove', 'rev']);
  });
});
