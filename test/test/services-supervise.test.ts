// Services supervised for real: confined services under their shims, supervised by a real skiffd and
// driven through its API. Restart rules, the start limit, and a stop that ends a service ignoring SIGTERM
// with every process of its cgroup.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readShimStatus } from '@skiff/native';
import { DeviceLayout } from '@skiff/bundle';
import { skiff, cleanupRoot, rootSkipReason } from '../src/device-fixture';
import { SUPERVISOR_DEFAULTS } from '@skiff/client/dist/src/services';
import { makeServiceBundle, killServicesUnder, listServices, actOn, type ServiceRow } from '../src/services-fixture';
import { SkiffdProcess, until } from '../src/skiffd-process';

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

// 10 MB a second for 30 s, in lines of ~100 bytes, then five last lines, then quiet.
const CHATTY = `i=0
while [ $i -lt 30 ]; do yes "chatty second $i: the quick brown fox jumps over the lazy dog, again and again and again" | head -c 10000000; echo; sleep 1; i=$((i+1)); done
for n in 1 2 3 4 5; do echo "last line $n"; done
exec sleep 3600`;

describe('services: restart rules, start limit, stop', { skip: rootSkipReason() }, () => {
  let work = '';
  let root = '';
  let agent: SkiffdProcess | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-services-'));
    root = join(work, 'root');
    const file = await makeServiceBundle(work, 'svc', '1', {
      crash: { script: 'echo crashing; exit 2', fields: 'daemon: simple\n    restart-delay: 100ms\n    install-mode: disable' },
      clean: { script: 'echo done', fields: 'daemon: simple\n    restart-delay: 100ms\n    install-mode: disable' },
      again: { script: 'echo done', fields: 'daemon: simple\n    restart-condition: always\n    restart-delay: 100ms\n    install-mode: disable' },
      chatty: { script: CHATTY, fields: 'daemon: simple\n    install-mode: disable' },
      stubborn: { script: "trap '' TERM\n(trap '' TERM; while :; do sleep 0.05; done) &\nwhile :; do sleep 0.05; done", fields: 'daemon: simple\n    stop-timeout: 1s\n    install-mode: disable' },
    });
    for (const args of [['install', '--dangerous', file], ['config', 'set', 'services.settle-ms', '500']]) {
      const r = skiff(root, args);
      assert.equal(r.status, 0, r.stderr);
    }
    agent = await SkiffdProcess.start(root);
  });

  after(async () => {
    await agent?.kill();
    killServicesUnder(root);
    skiff(root, ['remove', 'svc']);
    cleanupRoot(root);
    rmSync(work, { recursive: true, force: true });
  });

  const row = async (id: string): Promise<ServiceRow> => (await listServices(agent!, [id]))[0]!;
  /** When skiffd logged each start or end of a service (pino's time, ms). */
  const times = (event: 'service-started' | 'service-exit', id: string): number[] => agent!.events(event, id).map((e) => e.time as number);
  const exits = (id: string) => agent!.events('service-exit', id).map((e) => e.exit);

  test('a crash loop ends failed after the start limit, with the delays between starts growing', async () => {
    await actOn(agent!, 'start', ['svc.crash']);
    await until('failed', () => agent!.events('service-failed', 'svc.crash').length > 0);
    const ended = times('service-exit', 'svc.crash');
    const starts = times('service-started', 'svc.crash');
    assert.equal(ended.length, 5, 'five starts (the limit), then no more');
    // Each wait (an exit to the next start) at least its delay: 100, 200, 400, 800 ms.
    const waits = starts.slice(1).map((s, i) => s - ended[i]!);
    waits.forEach((w, i) => assert.ok(w >= 100 * 2 ** i, `wait ${i} was ${w} ms`));
    const r = await row('svc.crash');
    assert.equal(r.current, 'failed');
    assert.match(r.notes, /exited with code 2 .*start limit/);
  });

  test('on-failure: a service that exits 0 stays stopped; always: it is started again', async () => {
    await actOn(agent!, 'start', ['svc.clean', 'svc.again']);
    await until('always restarted twice', () => exits('svc.again').length >= 3);
    await until('clean exit seen', () => exits('svc.clean').length >= 1);
    assert.deepEqual(exits('svc.clean')[0], { code: 0, signal: null });
    assert.equal((await row('svc.clean')).current, 'inactive');
    assert.equal(exits('svc.clean').length, 1, 'not restarted');
    await actOn(agent!, 'stop', ['svc.again']);
  });

  test('a service ignoring SIGTERM is killed with every process of its cgroup after stop-timeout', async () => {
    await actOn(agent!, 'start', ['svc.stubborn']);
    const runDir = new DeviceLayout(root).serviceRunDir('svc', 'stubborn');
    const running = readShimStatus(runDir)!;
    const pidsDir = running.cgroup!.find((d) => d.includes('/pids/'))!;
    const pids = await until('the shell and its subshell', () => {
      const p = readFileSync(join(pidsDir, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
      return p.length >= 3 ? p : null;
    });
    const asked = Date.now();
    await actOn(agent!, 'stop', ['svc.stubborn']);
    assert.ok(Date.now() - asked >= 1000, 'not before stop-timeout');
    assert.deepEqual(readShimStatus(runDir)!.exit, { code: null, signal: 'SIGKILL' });
    assert.deepEqual(pids.filter(alive), [], 'no process left (no orphan, no zombie)');
    assert.ok(!alive(running.shimPid), 'its shim is gone');
    assert.deepEqual(running.cgroup!.filter((d) => existsSync(d)), [], 'no cgroup left');
    assert.equal((await row('svc.stubborn')).current, 'inactive');
  });

  test('a service writing 10 MB/s for 30 s keeps its log folder under the cap; skiff logs -n 5 shows the last lines', { timeout: 180_000 }, async () => {
    await actOn(agent!, 'start', ['svc.chatty']);
    const logDir = new DeviceLayout(root).serviceLogDir('svc', 'chatty');
    const cap = SUPERVISOR_DEFAULTS.log.maxBytes * SUPERVISOR_DEFAULTS.log.files;
    let largest = 0;
    await until('the last line', () => {
      // A file may be renamed between the listing and its stat (rotation): it is counted under its new name.
      const size = readdirSync(logDir).reduce((sum, f) => sum + (statSync(join(logDir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
      largest = Math.max(largest, size);
      try { return readFileSync(join(logDir, 'current'), 'utf8').includes('last line 5'); } catch { return false; }
    }, 150_000);
    assert.ok(largest <= cap, `log folder reached ${largest} bytes, cap ${cap}`);
    const r = skiff(root, ['logs', 'svc.chatty', '-n', '5']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.replace(/^\S+ out /, '')), [1, 2, 3, 4, 5].map((n) => `last line ${n}`));
    const listed = skiff(root, ['services', 'svc.chatty']);
    assert.match(listed.stdout, /svc\.chatty\s+disabled\s+active/);
    await actOn(agent!, 'stop', ['svc.chatty']);
  });
});
