// The agent can die without its services dying: SIGKILL of a real skiffd with three services running;
// they keep their pids and keep answering; the restarted skiffd lists them active through its API and adopts
// them (no second copy), collects the exit of one that ended meanwhile and restarts it by its rule, and
// restarts one killed later.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLayout } from '@skiff/bundle';
import { readShimStatus } from '@skiff/native';
import { skiff, skiffAsync, cleanupRoot, rootSkipReason } from '../src/device-fixture';
import { makeServiceBundle, killServicesUnder, httpServer, httpGet, freePort, shimsMentioning, listServices, actOn } from '../src/services-fixture';
import { SkiffdProcess, until } from '../src/skiffd-process';

describe('services: skiffd killed and started again', { skip: rootSkipReason() }, () => {
  let work = '';
  let root = '';
  const agents: SkiffdProcess[] = [];
  const ports: Record<string, number> = {};

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-services-adopt-'));
    root = join(work, 'root');
    for (const s of ['a', 'b', 'c']) ports[s] = await freePort();
    const app = (s: string) => ({ script: httpServer(ports[s]!, `${s} up`), fields: 'daemon: simple\n    restart-delay: 100ms' });
    const file = await makeServiceBundle(work, 'trio', '1', { a: app('a'), b: app('b'), c: app('c') });
    for (const args of [['install', '--dangerous', file], ['connect', 'trio:network-bind'], ['config', 'set', 'services.settle-ms', '500']]) {
      const r = skiff(root, args);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  after(async () => {
    for (const a of agents) await a.kill();
    killServicesUnder(root);
    skiff(root, ['remove', 'trio']);
    cleanupRoot(root);
    rmSync(work, { recursive: true, force: true });
  });

  const shimsOf = (s: string): number[] => shimsMentioning(`${new DeviceLayout(root).serviceRunDir('trio', s)}\0`);
  const status = (s: string) => readShimStatus(new DeviceLayout(root).serviceRunDir('trio', s))!;

  test('SIGKILL of skiffd: services keep running, are adopted once, and supervised again', async () => {
    const first = await SkiffdProcess.start(root);
    agents.push(first);
    // Install started them before network-bind was connected: they could not listen, and may be failed.
    await actOn(first, 'start', ['trio']);
    for (const s of ['a', 'b', 'c']) await until(`${s} to answer`, () => httpGet(ports[s]!));
    const before = await listServices(first, ['trio']);
    assert.deepEqual(before.map((r) => [r.service, r.current]), [['trio.a', 'active'], ['trio.b', 'active'], ['trio.c', 'active']]);
    await first.kill();

    // Away: all still answer with the same pids; c ends with code 3 meanwhile.
    for (const s of ['a', 'b', 'c']) assert.equal(await httpGet(ports[s]!), `${s} up`);
    await httpGet(ports.c!, '/exit3');
    await until('c to have ended', () => status('c').state === 'exited');
    assert.deepEqual(status('c').exit, { code: 3, signal: null });

    const second = await SkiffdProcess.start(root);
    agents.push(second);
    const after = await listServices(second, ['trio']);
    assert.deepEqual(after.filter((r) => r.service !== 'trio.c').map((r) => [r.service, r.current, r.pid]),
      before.filter((r) => r.service !== 'trio.c').map((r) => [r.service, 'active', r.pid]), 'a and b adopted, same pids');
    // c's end was collected by the new skiffd and its rule (on-failure) applied: started again.
    assert.deepEqual(second.events('service-exit', 'trio.c').map((e) => e.exit), [{ code: 3, signal: null }], 'c\'s exit collected, once');
    await until('c to answer again', () => httpGet(ports.c!));
    const c = (await listServices(second, ['trio.c']))[0]!;
    assert.equal(c.current, 'active');
    assert.match(c.notes, /exited with code 3/);
    for (const s of ['a', 'b', 'c']) assert.equal(shimsOf(s).length, 1, `one shim of ${s}, no second copy`);

    // Supervised again: b killed now is restarted by the new skiffd.
    const oldB = status('b').appPid!;
    process.kill(oldB, 'SIGKILL');
    await until('b restarted', () => second.events('service-started', 'trio.b').length > 0);
    await until('b to answer again', () => httpGet(ports.b!));
    const b = (await listServices(second, ['trio.b']))[0]!;
    assert.equal(b.current, 'active');
    assert.notEqual(b.pid, oldB);
    assert.equal(shimsOf('b').length, 1);

    // A shim killed takes its service with it (PDEATHSIG); the supervisor clears its cgroup and restarts it.
    const oldA = status('a');
    process.kill(oldA.shimPid, 'SIGKILL');
    await until('a restarted under a new shim', () => status('a').state === 'running' && status('a').shimPid !== oldA.shimPid);
    await until('a to answer again', () => httpGet(ports.a!));
    await until('the killed shim\'s cgroup to be gone', () => oldA.cgroup!.every((d) => !existsSync(d)), 10_000);
    assert.ok(!existsSync(`/proc/${oldA.appPid}`), 'its service went with it');
    assert.equal(shimsOf('a').length, 1);

    // skiff goes through skiffd while it runs: its supervisor stops them.
    const stopped = await skiffAsync(root, ['stop', 'trio', '--json']);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.deepEqual((JSON.parse(stopped.stdout) as { current: string }[]).map((r) => r.current), ['inactive', 'inactive', 'inactive']);
    for (const s of ['a', 'b', 'c']) assert.equal(shimsOf(s).length, 0);
  });

  test('at boot (an empty /run), skiffd starts the enabled services; SIGTERM of skiffd leaves them running', async () => {
    for (const a of agents.splice(0)) await a.stop();
    // What a reboot leaves: no record of any service under R/run (a tmpfs), the bundles mounted again by skiffd.
    rmSync(new DeviceLayout(root).servicesRunDir, { recursive: true, force: true });
    const booted = await SkiffdProcess.start(root);
    agents.push(booted);
    for (const s of ['a', 'b', 'c']) assert.equal(await until(`${s} to answer`, () => httpGet(ports[s]!)), `${s} up`);
    const pids = (await listServices(booted, ['trio'])).map((r) => r.pid);
    assert.equal(await booted.stop(), 0);
    for (const s of ['a', 'b', 'c']) assert.equal(await httpGet(ports[s]!), `${s} up`, `${s} outlives skiffd's SIGTERM`);
    const next = await SkiffdProcess.start(root);
    agents.push(next);
    assert.deepEqual((await listServices(next, ['trio'])).map((r) => r.pid), pids, 'adopted, not started again');
    await actOn(next, 'stop', ['trio']);
  });
});
