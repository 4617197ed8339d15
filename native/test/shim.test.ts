import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LaunchError, readShimStatus, startShim, watchShim, type LaunchPlan, type ShimOptions } from '../src';
import { needsRoot, tempDir, removeDir } from './helpers';
import { basePlan, cgroupPlan, needsV1, removeTestCgroups, seccompPlan } from './sandbox';

const skip = needsRoot('skiff-shim launches confined services') || needsV1();
let dir = '';
let count = 0;

before(() => { if (!skip) dir = tempDir('shim'); });
after(() => {
  removeTestCgroups();
  if (dir) removeDir(dir);
});

function service(script: string, extra: Partial<ShimOptions> = {}): ShimOptions {
  const n = count++;
  const plan: LaunchPlan = { ...basePlan(script, { cgroup: { ...cgroupPlan(`shim${n}`), appendPid: true } }), seccomp: seccompPlan() };
  const file = join(dir, `plan-${n}.json`);
  writeFileSync(file, JSON.stringify(plan));
  return { plan: file, stateDir: join(dir, `state-${n}`), logDir: join(dir, `log-${n}`), stopTimeoutMs: 30_000, ...extra };
}

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

test('a shim runs a service confined, passes READY=1 from fd 3, logs with timestamps and records the exit', { skip }, async () => {
  const opts = service('echo hello; echo oops >&2; echo READY=1 >&"$SKIFF_NOTIFY_FD"; trap "echo bye; exit 3" TERM; while :; do sleep 0.05; done', { notify: true });
  const { shimPid, pid } = await startShim(opts);
  const lines: string[] = [];
  let closed = false;
  const socket = await watchShim(opts.stateDir, (l) => lines.push(l), () => { closed = true; });
  assert.ok(socket);
  await until('ready', () => lines.includes('ready'));
  const status = readShimStatus(opts.stateDir)!;
  assert.equal(status.state, 'running');
  assert.equal(status.shimPid, shimPid);
  assert.equal(status.pid, pid);
  assert.ok(status.appPid! > 0 && status.pidStart! > 0 && status.readyAt! >= status.startedAt!);
  assert.ok(status.cgroup!.length > 0 && status.cgroup!.every((d) => existsSync(d) && d.endsWith(`-${pid}`)));
  socket!.write('stop\n');
  await until('the shim to exit', () => closed);
  const end = readShimStatus(opts.stateDir)!;
  assert.deepEqual([end.state, end.exit], ['exited', { code: 3, signal: null }]);
  assert.ok(status.cgroup!.every((d) => !existsSync(d)), 'cgroup removed');
  const log = readFileSync(join(opts.logDir, 'current'), 'utf8');
  assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z out hello$/m);
  assert.match(log, /Z err oops$/m);
  assert.match(log, /Z out bye$/m);
  assert.match(log, /Z shim exited with code 3$/m);
});

test('a service that ignores SIGTERM is killed with every process of its cgroup after the stop timeout', { skip }, async () => {
  // A second process (a subshell) ignoring TERM as well: it must go with the cgroup, not be left.
  const opts = service("trap '' TERM; (trap '' TERM; while :; do sleep 0.05; done) & while :; do sleep 0.05; done", { stopTimeoutMs: 300 });
  await startShim(opts);
  let closed = false;
  const socket = await watchShim(opts.stateDir, () => {}, () => { closed = true; });
  const running = readShimStatus(opts.stateDir)!;
  const procs = join(running.cgroup!.find((d) => d.includes('/pids/'))!, 'cgroup.procs');
  const pids = await until('two processes of the service', () => {
    const p = readFileSync(procs, 'utf8').trim().split('\n').map(Number);
    return p.length >= 3 && p;  // the init, the shell, the subshell
  });
  socket!.write('stop\n');
  await until('the shim to exit', () => closed, 10_000);
  const end = readShimStatus(opts.stateDir)!;
  assert.deepEqual(end.exit, { code: null, signal: 'SIGKILL' });
  assert.ok(end.endedAt! - running.startedAt! >= 300, 'not before the stop timeout');
  assert.deepEqual(pids.filter(alive), [], 'no process of the cgroup left');
  assert.ok(running.cgroup!.every((d) => !existsSync(d)), 'cgroup removed');
  assert.ok(!alive(running.shimPid) && !alive(running.pid!));
});

test('the log rotates by size and the folder stays under files x max bytes', { skip }, async () => {
  const log = { maxBytes: 64 * 1024, files: 3 };
  const opts = service('i=0; while [ $i -lt 20000 ]; do echo "line $i of a chatty service"; i=$((i+1)); done; echo last-line', { log });
  await startShim(opts);
  await until('the service to end', () => readShimStatus(opts.stateDir)?.state === 'exited');
  const files = readdirSync(opts.logDir).sort();
  assert.deepEqual(files, ['current', 'current.1', 'current.2']);
  const total = files.reduce((sum, f) => sum + statSync(join(opts.logDir, f)).size, 0);
  assert.ok(total <= log.files * log.maxBytes, `${total} bytes`);
  const current = readFileSync(join(opts.logDir, 'current'), 'utf8').trim().split('\n');
  assert.match(current.at(-2)!, /Z out last-line$/);
  assert.match(readFileSync(join(opts.logDir, 'current.1'), 'utf8'), /out line \d+ of a chatty service\n$/);
});

test('a launch that fails is refused with the step named, and recorded', { skip }, async () => {
  const opts = service('true');
  const plan = JSON.parse(readFileSync(opts.plan, 'utf8')) as LaunchPlan;
  plan.argv = ['/no/such/program'];
  writeFileSync(opts.plan, JSON.stringify(plan));
  await assert.rejects(startShim(opts), (e: unknown) => e instanceof LaunchError && /execve/.test(e.message));
  // A failed exec is the app's: the shim ran, and recorded how it ended.
  await until('the exit record', () => readShimStatus(opts.stateDir)?.state === 'exited');
});
