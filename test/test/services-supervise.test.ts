// Services supervised for real: confined services under their shims, the supervisor in a process of
// its own (services-host, standing in for skiffd). Restart rules, the start limit, and a stop that
// ends a service ignoring SIGTERM with every process of its cgroup.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readShimStatus } from '@skiff/native';
import { DeviceLayout } from '@skiff/bundle';
import { skiff, cleanupRoot, rootSkipReason } from '../src/device-fixture';
import { ServicesHost, makeServiceBundle, killServicesUnder, type ServiceRow } from '../src/services-fixture';

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

// 10 MB a second for 30 s, in lines of ~100 bytes, then five last lines, then quiet.
const CHATTY = `i=0
while [ $i -lt 30 ]; do yes "chatty second $i: the quick brown fox jumps over the lazy dog, again and again and again" | head -c 10000000; echo; sleep 1; i=$((i+1)); done
for n in 1 2 3 4 5; do echo "last line $n"; done
exec sleep 3600`;

describe('services: restart rules, start limit, stop', { skip: rootSkipReason() }, () => {
  let work = '';
  let root = '';
  let host: ServicesHost | undefined;

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
    const r = skiff(root, ['install', '--dangerous', file]);
    assert.equal(r.status, 0, r.stderr);
    host = await ServicesHost.start(root, { settleMs: 500 });
  });

  after(async () => {
    await host?.kill().catch(() => undefined);
    killServicesUnder(root);
    skiff(root, ['remove', 'svc']);
    cleanupRoot(root);
  });

  const row = async (id: string): Promise<ServiceRow> => (await host!.call<ServiceRow[]>('list', [id]))[0]!;

  test('a crash loop ends failed after the start limit, with the delays between starts growing', async () => {
    await host!.call('act', 'start', ['svc.crash']);
    await host!.until('failed', () => host!.eventsOf('failed', 'svc.crash').length > 0);
    const exits = host!.eventsOf('exit', 'svc.crash').map((e) => e.at!);
    const starts = host!.eventsOf('started', 'svc.crash').map((e) => e.at!);
    assert.equal(exits.length, 5, 'five starts (the limit), then no more');
    // Each wait (an exit to the next start) at least its delay: 100, 200, 400, 800 ms.
    const waits = starts.slice(1).map((s, i) => s - exits[i]!);
    waits.forEach((w, i) => assert.ok(w >= 100 * 2 ** i, `wait ${i} was ${w} ms`));
    const r = await row('svc.crash');
    assert.equal(r.current, 'failed');
    assert.match(r.notes, /exited with code 2 .*start limit/);
  });

  test('on-failure: a service that exits 0 stays stopped; always: it is started again', async () => {
    await host!.call('act', 'start', ['svc.clean', 'svc.again']);
    await host!.until('always restarted twice', () => host!.eventsOf('exit', 'svc.again').length >= 3);
    await host!.until('clean exit seen', () => host!.eventsOf('exit', 'svc.clean').length >= 1);
    assert.deepEqual(host!.eventsOf('exit', 'svc.clean')[0]!.exit, { code: 0, signal: null });
    assert.equal((await row('svc.clean')).current, 'inactive');
    assert.equal(host!.eventsOf('exit', 'svc.clean').length, 1, 'not restarted');
    await host!.call('act', 'stop', ['svc.again']);
  });

  test('a service ignoring SIGTERM is killed with every process of its cgroup after stop-timeout', async () => {
    await host!.call('act', 'start', ['svc.stubborn']);
    const runDir = new DeviceLayout(root).serviceRunDir('svc', 'stubborn');
    const running = readShimStatus(runDir)!;
    const pidsDir = running.cgroup!.find((d) => d.includes('/pids/'))!;
    const pids = await host!.until('the shell and its subshell', () => {
      const p = readFileSync(join(pidsDir, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
      return p.length >= 3 ? p : null;
    });
    const asked = Date.now();
    await host!.call('act', 'stop', ['svc.stubborn']);
    assert.ok(Date.now() - asked >= 1000, 'not before stop-timeout');
    assert.deepEqual(readShimStatus(runDir)!.exit, { code: null, signal: 'SIGKILL' });
    assert.deepEqual(pids.filter(alive), [], 'no process left (no orphan, no zombie)');
    assert.ok(!alive(running.shimPid), 'its shim is gone');
    assert.deepEqual(running.cgroup!.filter((d) => existsSync(d)), [], 'no cgroup left');
    assert.equal((await row('svc.stubborn')).current, 'inactive');
  });

  test('a service writing 10 MB/s for 30 s keeps its log folder under the cap; skiff logs -n 5 shows the last lines', { timeout: 180_000 }, async () => {
    await host!.call('act', 'start', ['svc.chatty']);
    const logDir = new DeviceLayout(root).serviceLogDir('svc', 'chatty');
    const cap = host!.settings.log.maxBytes * host!.settings.log.files;
    let largest = 0;
    await host!.until('the last line', () => {
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
    await host!.call('act', 'stop', ['svc.chatty']);
  });
});
