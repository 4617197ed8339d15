// A refresh commits only once the new revision's services are up: one whose simple service exits
// 2 s after start and one whose notify service never says READY=1 are both undone, the old
// revision's service answers again, and the failed revision is blocked. Install starts services; remove stops them.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLayout } from '@skiff/bundle';
import { readShimStatus } from '@skiff/native';
import { openDevice } from '@skiff/client/dist/src/device';
import { skiff, cleanupRoot, rootSkipReason } from '../src/device-fixture';
import { makeServiceBundle, killServicesUnder, httpServer, httpGet, freePort, shimsMentioning } from '../src/services-fixture';

describe('services: refresh commits only when they are up', { skip: rootSkipReason() }, () => {
  let work = '';
  let root = '';
  let port = 0;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-services-refresh-'));
    root = join(work, 'root');
    port = await freePort();
  });

  after(() => {
    killServicesUnder(root);
    skiff(root, ['remove', 'web']);
    cleanupRoot(root);
  });

  const ok = (args: string[]) => {
    const r = skiff(root, args);
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  // The first answer within a deadline: a service started again needs a moment to listen.
  const answer = async (want: string): Promise<string | null> => {
    let got: string | null = null;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && got !== want; await new Promise((r) => setTimeout(r, 50))) got = await httpGet(port);
    return got;
  };
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
});
