// The agent can die without its services dying: SIGKILL of the supervisor's process with three services
// running; they keep their pids and keep answering; the next supervisor adopts them (no second copy),
// collects the exit of one that ended meanwhile and restarts it by its rule, and restarts one killed later.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLayout } from '@skiff/bundle';
import { readShimStatus } from '@skiff/native';
import { skiff, cleanupRoot, rootSkipReason } from '../src/device-fixture';
import { ServicesHost, makeServiceBundle, killServicesUnder, httpServer, httpGet, freePort, shimsMentioning, type ServiceRow } from '../src/services-fixture';

describe('services: the supervisor killed and started again', { skip: rootSkipReason() }, () => {
  let work = '';
  let root = '';
  const hosts: ServicesHost[] = [];
  const ports: Record<string, number> = {};

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-services-adopt-'));
    root = join(work, 'root');
    for (const s of ['a', 'b', 'c']) ports[s] = await freePort();
    const app = (s: string) => ({ script: httpServer(ports[s]!, `${s} up`), fields: 'daemon: simple\n    restart-delay: 100ms' });
    const file = await makeServiceBundle(work, 'trio', '1', { a: app('a'), b: app('b'), c: app('c') });
    for (const args of [['install', '--dangerous', file], ['connect', 'trio:network-bind']]) {
      const r = skiff(root, args);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  after(async () => {
    for (const h of hosts) await h.kill().catch(() => undefined);
    killServicesUnder(root);
    skiff(root, ['remove', 'trio']);
    cleanupRoot(root);
  });

  const shimsOf = (s: string): number[] => shimsMentioning(`${new DeviceLayout(root).serviceRunDir('trio', s)}\0`);
  const status = (s: string) => readShimStatus(new DeviceLayout(root).serviceRunDir('trio', s))!;

  test('SIGKILL of the supervisor: services keep running, are adopted once, and supervised again', async () => {
    const first = await ServicesHost.start(root, { settleMs: 500 });
    hosts.push(first);
    // Install started them before network-bind was connected: they could not listen, and may be failed.
    await first.call('act', 'start', ['trio']);
    for (const s of ['a', 'b', 'c']) await first.until(`${s} to answer`, () => httpGet(ports[s]!));
    const before = await first.call<ServiceRow[]>('list', ['trio']);
    assert.deepEqual(before.map((r) => [r.service, r.current]), [['trio.a', 'active'], ['trio.b', 'active'], ['trio.c', 'active']]);
    await first.kill('SIGKILL');

    // Away: all still answer with the same pids; c ends with code 3 meanwhile.
    for (const s of ['a', 'b', 'c']) assert.equal(await httpGet(ports[s]!), `${s} up`);
    await httpGet(ports.c!, '/exit3');
    await first.until('c to have ended', () => status('c').state === 'exited');
    assert.deepEqual(status('c').exit, { code: 3, signal: null });

    const second = await ServicesHost.start(root, { settleMs: 500 });
    hosts.push(second);
    const after = await second.call<ServiceRow[]>('list', ['trio']);
    assert.deepEqual(after.filter((r) => r.service !== 'trio.c').map((r) => [r.service, r.current, r.pid]),
      before.filter((r) => r.service !== 'trio.c').map((r) => [r.service, 'active', r.pid]), 'a and b adopted, same pids');
    // c's end was collected by the new supervisor and its rule (on-failure) applied: started again.
    assert.ok(second.events.some((e) => e.event === 'log' && e.service === 'trio.c' && (e.exit as { code: number }).code === 3), 'c\'s exit collected');
    await second.until('c to answer again', () => httpGet(ports.c!));
    const c = (await second.call<ServiceRow[]>('list', ['trio.c']))[0]!;
    assert.equal(c.current, 'active');
    assert.match(c.notes, /exited with code 3/);
    for (const s of ['a', 'b', 'c']) assert.equal(shimsOf(s).length, 1, `one shim of ${s}, no second copy`);

    // Supervised again: b killed now is restarted by the new supervisor.
    const oldB = status('b').appPid!;
    process.kill(oldB, 'SIGKILL');
    await second.until('b restarted', () => second.eventsOf('started', 'trio.b').length > 0);
    await second.until('b to answer again', () => httpGet(ports.b!));
    const b = (await second.call<ServiceRow[]>('list', ['trio.b']))[0]!;
    assert.equal(b.current, 'active');
    assert.notEqual(b.pid, oldB);
    assert.equal(shimsOf('b').length, 1);

    // A shim killed takes its service with it (PDEATHSIG); the supervisor clears its cgroup and restarts it.
    const oldA = status('a');
    process.kill(oldA.shimPid, 'SIGKILL');
    await second.until('a restarted under a new shim', () => status('a').state === 'running' && status('a').shimPid !== oldA.shimPid);
    await second.until('a to answer again', () => httpGet(ports.a!));
    await second.until('the killed shim\'s cgroup to be gone', () => oldA.cgroup!.every((d) => !existsSync(d)), 10_000);
    assert.ok(!existsSync(`/proc/${oldA.appPid}`), 'its service went with it');
    assert.equal(shimsOf('a').length, 1);

    await second.call('act', 'stop', ['trio']);
    for (const s of ['a', 'b', 'c']) assert.equal(shimsOf(s).length, 0);
  });
});
