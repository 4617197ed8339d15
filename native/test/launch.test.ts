import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, mkdirSync, symlinkSync, openSync, closeSync, copyFileSync, chmodSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:os';
import { spawn, wait, kill, LaunchError, compileSeccomp, type LaunchPlan } from '../src';
import { needsRoot, tempDir, removeDir } from './helpers';
import {
  basePlan, buildProbe, runToFile, childPids, cgroupPlan, cgroupDirsLeft, removeTestCgroups, seccompPlan,
  DENIED_SYSCALLS, CGROUP_ROOT, CGROUP_PARENT, APP_ID, needsV1, v2Root,
} from './sandbox';

const skip = needsRoot('namespaces, mounts and cgroups');
const skipV1 = skip || needsV1();
const v2 = v2Root();
const skipV2 = skip || (v2 === null && 'needs a cgroup2 hierarchy');
const { errno: E } = constants;
let dir = '';
let probeDir = '';
let outCount = 0;
const out = (): string => join(dir, `out-${outCount++}.txt`);

before(() => {
  if (skip) return;
  dir = tempDir('launch');
  probeDir = buildProbe(dir);
});

after(async () => {
  for (const pid of childPids()) {
    try { process.kill(pid, 'SIGKILL'); await wait(pid); } catch { /* already gone */ }
  }
  removeTestCgroups();
  if (dir) removeDir(dir);
});

/** Host mount points (field 5 of mountinfo): a launch must add none of its own. */
const hostMountPoints = (): Set<string> => new Set(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[4]));
/** New host mount points that a leaking launch of plan could have made (others may mount meanwhile). */
function leakedMounts(before: Set<string>, plan: LaunchPlan): string[] {
  const ours = new Set(['/tmp', '/tmp/.oldroot', ...plan.mounts.map((m) => m.target)]);
  return [...hostMountPoints()].filter((m) => !before.has(m) && (ours.has(m) || m.startsWith('/tmp/.oldroot')));
}

test('a confined process is pid 2 under the sandbox init, as the app user, without capabilities, with no_new_privs and seccomp, on a read-only root', { skip }, async () => {
  const script = [
    'echo pid=$$ ppid=$PPID', 'echo host=$(hostname)', 'echo uid=$(id -u) gid=$(id -g) groups=$(id -G)',
    "grep -E '^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status",
    'echo procs=$(ls /proc | grep -c "^[0-9]")',
    'touch /usr/x || echo usr=ro', 'touch /probe/x || echo probe=ro', 'mkdir /new || echo root=ro',
    'echo data > /tmp/f && echo tmp=$(cat /tmp/f)', 'echo cwd=$(pwd)', 'echo top=$(ls /)',
  ].join('; ');
  const plan = basePlan(script, { probeDir, seccomp: seccompPlan(), cwd: '/tmp' });
  const r = await runToFile(plan, out());
  assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null }, r.output);
  const o = r.output;
  // The app is the child of the sandbox's init (pid 1), which the kernel would otherwise make it.
  assert.match(o, /^pid=2 ppid=1$/m);
  assert.match(o, /^host=skiff-test$/m);
  assert.match(o, new RegExp(`^uid=${APP_ID} gid=${APP_ID} groups=${APP_ID}$`, 'm'));
  for (const set of ['CapEff', 'CapPrm', 'CapBnd', 'CapAmb']) assert.match(o, new RegExp(`^${set}:\\s+0000000000000000$`, 'm'));
  assert.match(o, /^NoNewPrivs:\s+1$/m);
  assert.match(o, /^Seccomp:\s+2$/m);
  // The init, sh, the procs subshell and ls: nothing of the host.
  assert.ok(Number(/^procs=(\d+)$/m.exec(o)?.[1]) <= 5, o);
  // Descriptors: checked exactly by the probe in the next test (a shell opens its own).
  assert.match(o, /Read-only file system/);
  assert.match(o, /^usr=ro$/m);
  assert.match(o, /^probe=ro$/m);
  assert.match(o, /^root=ro$/m);
  assert.match(o, /^tmp=data$/m);
  assert.match(o, /^cwd=\/tmp$/m);
  assert.match(o, /^top=bin etc lib (lib64 )?probe proc tmp usr$/m);
});

test('the probe sees only descriptors 0-2 even when the parent has many open', { skip }, async () => {
  const extra = Array.from({ length: 20 }, () => openSync('/dev/null', 'r'));
  try {
    const r = await runToFile({ ...basePlan('', { probeDir }), argv: ['/probe/probe', 'fds'] }, out());
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output, 'fd 0\nfd 1\nfd 2\n');
  } finally {
    for (const fd of extra) closeSync(fd);
  }
});

test('denied syscalls fail with the plan errno; ioctl TIOCSTI/TIOCLINUX are denied whatever the high bits', { skip }, async () => {
  const marker = 133;  // EHWPOISON: an errno nothing else returns here, so seccomp answered
  const plan = { ...basePlan('', { probeDir, seccomp: seccompPlan(marker) }), argv: ['/probe/probe', 'syscalls'] };
  const r = await runToFile(plan, out());
  assert.equal(r.code, 0, r.output);
  for (const name of DENIED_SYSCALLS) assert.match(r.output, new RegExp(`^${name}=${marker}$`, 'm'), `${name} in\n${r.output}`);
  assert.match(r.output, /^getpid=0$/m);

  const io = await runToFile({ ...plan, argv: ['/probe/probe', 'ioctl'] }, out());
  assert.equal(io.code, 0, io.output);
  for (const name of ['TIOCSTI', 'TIOCSTI_high', 'TIOCSTI_allhigh', 'TIOCLINUX', 'TIOCLINUX_high']) {
    assert.match(io.output, new RegExp(`^${name}=${marker}$`, 'm'), `${name} in\n${io.output}`);
  }
  // Other ioctls still reach the kernel: stdin is /dev/null, so a terminal request says ENOTTY.
  assert.match(io.output, new RegExp(`^TCGETS=${E.ENOTTY}$`, 'm'));
});

test('a syscall of another ABI (x32 numbers) kills the process', { skip }, async () => {
  const plan = { ...basePlan('', { probeDir, seccomp: seccompPlan() }), argv: ['/probe/probe', 'x32'] };
  const r = await runToFile(plan, out());
  assert.equal(r.signal, 'SIGSYS', r.output);
  assert.equal(r.output, '');
});

test('a setuid-root binary does not raise privileges, even on a mount without nosuid (no_new_privs)', { skip }, async () => {
  const suidDir = join(dir, 'suid');
  mkdirSync(suidDir, { mode: 0o755 });
  copyFileSync(join(probeDir, 'probe'), join(suidDir, 'probe'));
  chmodSync(join(suidDir, 'probe'), 0o4755);  // owned by root: we are root
  const base = basePlan('');
  const plan: LaunchPlan = {
    ...base,
    argv: ['/suid/probe', 'ids'],
    mounts: [...base.mounts, { kind: 'bind', source: suidDir, target: '/suid', flags: ['ro'], reason: 'setuid allowed by the mount' }],
  };
  const r = await runToFile(plan, out());
  assert.equal(r.code, 0, r.output);
  assert.equal(r.output, `uid=${APP_ID} euid=${APP_ID} suid=${APP_ID}\n`);
});

test('errnoBySyscall and denyCloneFlags: no namespaces through clone or clone3, while fork and threads work', { skip }, async () => {
  const DENIED_CLONE_FLAGS = 0x7e020080;  // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
  const seccomp = { ...seccompPlan(), errnoBySyscall: { clone3: E.ENOSYS }, denyCloneFlags: DENIED_CLONE_FLAGS };
  const plan = { ...basePlan('', { probeDir, seccomp }), argv: ['/probe/probe', 'clone_ns'] };
  const r = await runToFile(plan, out());
  assert.equal(r.code, 0, r.output);
  assert.equal(r.output, [`clone_newuser=${E.EPERM}`, `clone_newns=${E.EPERM}`, `clone_newnet=${E.EPERM}`,
    `clone3_newuser=${E.ENOSYS}`, 'fork=0', 'thread=0', ''].join('\n'));
  // Without them, the same probe can make a user namespace (the reason for both fields).
  const open = await runToFile({ ...plan, seccomp: seccompPlan() }, out());
  assert.match(open.output, /^clone_newuser=0$/m);
});

test('a plan-listed ioctl is denied on its low 32 bits', { skip }, async () => {
  const FIONREAD = 0x541b;
  const plan: LaunchPlan = { ...basePlan('', { probeDir, seccomp: { ...seccompPlan(), denyIoctls: [FIONREAD] } }), argv: ['/probe/probe', 'ioctl'] };
  const r = await runToFile(plan, out());
  assert.match(r.output, new RegExp(`^FIONREAD=${E.EPERM}$`, 'm'), r.output);
});

test('unshare(1) inside the sandbox gets EPERM from the default action', { skip }, async () => {
  const plan = basePlan('/usr/bin/unshare --mount /bin/true; echo rc=$?', { seccomp: seccompPlan() });
  const r = await runToFile(plan, out());
  assert.match(r.output, /Operation not permitted/);
  assert.match(r.output, /^rc=1$/m);
});

test('devmode logs instead of failing: a syscall off the allowlist goes through', { skip }, async () => {
  const plan = { ...basePlan('', { probeDir, seccomp: { ...seccompPlan(), defaultAction: 'log' as const, allow: [] } }), argv: ['/probe/probe', 'ioctl'] };
  const r = await runToFile(plan, out());
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, new RegExp(`^TCGETS=${E.ENOTTY}$`, 'm'));
  assert.match(r.output, new RegExp(`^TIOCSTI=${E.EPERM}$`, 'm'), 'TIOCSTI stays denied in devmode');
});

test('a new network namespace has only lo, up, and cannot reach the host; without one the host is reachable', { skip }, async () => {
  const server = createServer((c) => c.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const own = { ...basePlan('', { probeDir }), argv: ['/probe/probe', 'connect', String(port)] };
    // lo is up (a down lo says ENETUNREACH) and the host's listener is not in this namespace.
    assert.match((await runToFile(own, out())).output, new RegExp(`^connect=${E.ECONNREFUSED}$`, 'm'));
    const shared = { ...own, namespaces: own.namespaces.filter((n) => n !== 'net') };
    assert.match((await runToFile(shared, out())).output, /^connect=0$/m);
  } finally {
    server.close();
  }
  const dev = await runToFile(basePlan('cat /proc/net/dev'), out());
  assert.deepEqual(dev.output.split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]), ['lo']);
});

test('the memory limit (cgroup v1) kills an allocator that passes it', { skip: skipV1 }, async () => {
  const cgroup = cgroupPlan('memory', { memoryBytes: 32 * 1024 * 1024 });
  const plan = { ...basePlan('', { probeDir, cgroup }), argv: ['/probe/probe', 'alloc', '256'] };
  const r = await runToFile(plan, out());
  assert.equal(r.signal, 'SIGKILL', r.output);
  assert.doesNotMatch(r.output, /allocated all/);
  assert.deepEqual(cgroupDirsLeft(cgroup), []);
});

test('the pids limit stops a fork bomb, and every process of the sandbox dies with it', { skip: skipV1 }, async () => {
  const pidsMax = 16;
  const cgroup = cgroupPlan('pids', { pidsMax });
  const plan = { ...basePlan('', { probeDir, cgroup }), argv: ['/probe/probe', 'forkbomb'] };
  const r = await runToFile(plan, out());
  assert.equal(r.code, 0, r.output);
  const m = /^fork failed errno=(\d+) after (\d+)$/m.exec(r.output);
  assert.ok(m, r.output);
  assert.equal(Number(m[1]), E.EAGAIN);
  // The limit counts the sandbox's init and the probe itself: the rest are the forks it got.
  assert.equal(Number(m[2]), pidsMax - 2);
  assert.deepEqual(cgroupDirsLeft(cgroup), [], 'cgroup removed once its tasks drained');
  assert.deepEqual(childPids(), []);
});

test('limits are written to the v1 cgroup before the app runs, and the app sees its own cgroup as /', { skip: skipV1 }, async () => {
  const cgroup = cgroupPlan('limits', { memoryBytes: 64 * 1024 * 1024, pidsMax: 32, cpuQuotaUs: 50000, cpuPeriodUs: 100000 });
  const dirs = ['memory', 'pids', 'cpu'].map((c) => join(CGROUP_ROOT, c, cgroup.path));
  const plan = basePlan('cat /proc/self/cgroup; sleep 0.3', { cgroup });
  const outFile = out();
  const fd = openSync(outFile, 'w');
  const pid = spawn(plan, { stdio: [0, fd, fd] });
  closeSync(fd);
  try {
    assert.equal(readFileSync(join(dirs[0], 'memory.limit_in_bytes'), 'utf8').trim(), String(64 * 1024 * 1024));
    assert.equal(readFileSync(join(dirs[1], 'pids.max'), 'utf8').trim(), '32');
    assert.equal(readFileSync(join(dirs[2], 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
    for (const d of dirs) assert.ok(readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)), d);
  } finally {
    assert.deepEqual(await wait(pid), { code: 0, signal: null });
  }
  for (const line of readFileSync(outFile, 'utf8').trim().split('\n')) {
    if (/:(memory|pids|cpu):/.test(line)) assert.match(line, /:\/$/, `cgroup namespace rooted at the app's cgroup: ${line}`);
  }
  assert.deepEqual(cgroupDirsLeft(cgroup), []);
});

test('appendPid names the cgroup after the launched pid, and wait() removes it', { skip: skipV1 }, async () => {
  const cgroup = { ...cgroupPlan('append', { pidsMax: 16 }), appendPid: true };
  const pid = spawn(basePlan('sleep 0.2', { cgroup }), { stdio: [0, 1, 2] });
  const dir = join(CGROUP_ROOT, 'pids', `${cgroup.path}-${pid}`);
  try {
    assert.ok(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)));
    assert.equal(readFileSync(join(dir, 'pids.max'), 'utf8').trim(), '16');
  } finally {
    assert.deepEqual(await wait(pid), { code: 0, signal: null });
  }
  assert.ok(!existsSync(dir));
});

test('cgroup v2: a unified hierarchy cgroup is made, joined and removed', { skip: skipV2 }, async () => {
  const cgroup = { version: 2 as const, root: v2 ?? '', path: `${CGROUP_PARENT}/v2-${process.pid}` };
  const r = await runToFile(basePlan('cat /proc/self/cgroup', { cgroup }), out());
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /^0::\/$/m);
  // A limit whose controller this hierarchy lacks (pids lives in v1 here) fails at enabling it, and leaves nothing.
  if (!readFileSync(join(cgroup.root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('pids')) {
    await expectFailure(basePlan('true', { cgroup: { ...cgroup, pidsMax: 8 } }), 'cgroup_controllers', E.ENOENT);
    assert.ok(!existsSync(join(cgroup.root, cgroup.path)), 'v2 cgroup removed');
  }
});

test('wait() does not block the event loop', { skip }, async () => {
  const pid = spawn(basePlan('sleep 0.3'), { stdio: [0, 1, 2] });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const status = await wait(pid);
  clearInterval(timer);
  assert.deepEqual(status, { code: 0, signal: null });
  assert.ok(ticks >= 10, `event loop ran ${ticks} times while waiting`);
});

test('many waiting apps do not hold the thread pool, and a pid that is not ours is refused', { skip }, async () => {
  const pids = Array.from({ length: 6 }, () => spawn(basePlan('sleep 1'), { stdio: [0, 1, 2] }));
  const waits = pids.map((pid) => wait(pid));
  try {
    // With libuv's 4 pool threads each blocked in waitpid, this read would queue behind them.
    const start = Date.now();
    await readFile('/proc/self/status');
    assert.ok(Date.now() - start < 500, `fs call took ${Date.now() - start} ms while apps ran`);
  } finally {
    for (const s of await Promise.all(waits)) assert.deepEqual(s, { code: 0, signal: null });
  }
  await assert.rejects(wait(1), /waitpid: No child processes/);
});

test('exit codes and signals come back from wait()', { skip }, async () => {
  assert.deepEqual(await runToFile(basePlan('exit 3'), out()).then((r) => [r.code, r.signal]), [3, null]);
  const pid = spawn(basePlan('sleep 5'), { stdio: [0, 1, 2] });
  process.kill(pid, 'SIGKILL');
  assert.deepEqual(await wait(pid), { code: null, signal: 'SIGKILL' });
});

test('kill() ends an app that has no handler (it is not pid 1, so the kernel does not drop it) and passes a handled one', { skip }, async () => {
  const plain = spawn(basePlan('exec sleep 5'), { stdio: [0, 1, 2] });
  assert.equal(kill(plain, 'SIGTERM'), 'SIGTERM');
  assert.deepEqual(await wait(plain), { code: null, signal: 'SIGTERM' });

  const outFile = out();
  const fd = openSync(outFile, 'w');
  const handled = spawn(basePlan("trap 'echo got-TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done"), { stdio: [0, fd, fd] });
  closeSync(fd);
  for (let i = 0; i < 200 && !readFileSync(outFile, 'utf8').includes('ready'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(kill(handled, 'SIGTERM'), 'SIGTERM');
  assert.deepEqual(await wait(handled), { code: 42, signal: null });
  assert.match(readFileSync(outFile, 'utf8'), /got-TERM/);
});

/** Runs a plan expected to fail and checks the step, errno, and that nothing is left behind. */
async function expectFailure(plan: LaunchPlan, step: string, errno: number, row?: number): Promise<LaunchError> {
  const mountsBefore = hostMountPoints();
  let caught: unknown;
  try {
    const pid = spawn(plan, { stdio: [0, 1, 2] });
    await wait(pid);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof LaunchError, `expected a LaunchError at ${step}, got ${String(caught)}`);
  assert.equal(caught.step, step, caught.message);
  assert.equal(caught.errno, errno, caught.message);
  assert.equal(caught.code, 'launch-failed');
  assert.match(caught.message, new RegExp(`^launch failed at ${step}: `));
  if (row !== undefined) assert.equal(caught.row, row);
  assert.deepEqual(childPids(), [], 'no process left');
  assert.deepEqual(leakedMounts(mountsBefore, plan), [], 'no mount left on the host');
  if (plan.cgroup) assert.deepEqual(cgroupDirsLeft(plan.cgroup), [], 'no cgroup left');
  return caught;
}

test('each failing step is named, and leaves no process, mount or cgroup', { skip: skipV1 }, async () => {
  const cgroup = cgroupPlan('fail', { pidsMax: 8 });
  const base = basePlan('true', { cgroup });
  const badSource = { ...base, mounts: [...base.mounts, { kind: 'bind' as const, source: '/nonexistent/data', target: '/data', flags: [], reason: 'app data' }] };
  const e = await expectFailure(badSource, 'bind', E.ENOENT, base.mounts.length);
  assert.match(e.message, /\(mounts\[\d+\] \/data: app data\)$/);
  await expectFailure({ ...base, cwd: '/does/not/exist' }, 'chdir', E.ENOENT);
  await expectFailure({ ...base, argv: ['/usr/bin/no-such-program'] }, 'execve', E.ENOENT);
  await expectFailure({ ...base, cgroup: { ...cgroup, root: join(dir, 'no-cgroup-here') } }, 'cgroup_create', E.ENOENT);
  // pids.max above PID_MAX_LIMIT: the kernel refuses the write.
  await expectFailure({ ...base, cgroup: { ...cgroup, pidsMax: Number.MAX_SAFE_INTEGER } }, 'cgroup_limit', E.EINVAL);
  await expectFailure({ ...base, mounts: [...base.mounts, { kind: 'tmpfs', source: '', target: '/tmp/x', flags: [], data: 'size=nonsense', reason: 'bad options' }] }, 'tmpfs', E.EINVAL);
});

test('a symlink in the new root cannot redirect a mount target (CVE-2021-30465)', { skip }, async () => {
  // /tmp/link -> /etc inside the sandbox; a later mount onto /tmp/link/x must not land in /etc.
  const host = join(dir, 'host-dir');
  mkdirSync(host, { recursive: true });
  symlinkSync('/etc', join(host, 'link'));
  const base = basePlan('true');
  const plan: LaunchPlan = {
    ...base,
    mounts: [...base.mounts,
      { kind: 'bind', source: host, target: '/tmp/h', flags: [], reason: 'a folder holding a symlink' },
      { kind: 'tmpfs', source: '', target: '/tmp/h/link/evil', flags: [], reason: 'would go through the symlink' }],
  };
  await expectFailure(plan, 'tmpfs', E.ELOOP, plan.mounts.length - 1);
  const viaSymlinkRow: LaunchPlan = {
    ...base,
    mounts: [...base.mounts,
      { kind: 'symlink', source: '/usr', target: '/tmp/u', flags: [], reason: 'a symlink row' },
      { kind: 'bind', source: '/etc', target: '/tmp/u/etc', flags: [], reason: 'would go through the symlink row' }],
  };
  await expectFailure(viaSymlinkRow, 'bind', E.ELOOP, viaSymlinkRow.mounts.length - 1);
});

test("a recursive read-only bind makes its submounts read-only too", { skip }, async () => {
  const host = join(dir, 'rec-host');
  mkdirSync(join(host, 'sub'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0777', 'skiff-test-sub', join(host, 'sub')]);
  try {
    const base = basePlan('touch /r/sub/f 2>&1; echo rc=$?; touch /plain/sub/f; echo plain=$?', { uid: 0, gid: 0 });
    const plan: LaunchPlan = {
      ...base,
      mounts: [...base.mounts,
        { kind: 'bind', source: host, target: '/r', flags: ['ro', 'rec'], reason: 'recursive, read-only' },
        { kind: 'bind', source: host, target: '/plain', flags: ['rec'], reason: 'recursive, writable' }],
    };
    const r = await runToFile(plan, out());
    assert.match(r.output, /Read-only file system/);
    assert.match(r.output, /^rc=1$/m);
    assert.match(r.output, /^plain=0$/m, 'the same submount stays writable where not asked read-only');
  } finally {
    execFileSync('umount', [join(host, 'sub')]);
  }
});

test('the app gets exactly the plan environment, and file binds (a device node) work', { skip }, async () => {
  const base = basePlan('');
  const plan: LaunchPlan = {
    ...base,
    argv: ['/usr/bin/env'],
    env: ['A=1', 'B=two words'],
    mounts: [...base.mounts,
      { kind: 'tmpfs', source: '', target: '/dev', flags: ['nosuid', 'noexec'], data: 'size=64k', reason: 'a minimal /dev' },
      { kind: 'bind', source: '/dev/null', target: '/dev/null', flags: ['nosuid', 'noexec'], reason: 'a file bind of a device' }],
  };
  const r = await runToFile(plan, out());
  assert.equal(r.code, 0, r.output);
  assert.equal(r.output, 'A=1\nB=two words\n');
  const dev = await runToFile({ ...plan, argv: ['/bin/sh', '-c', 'test -c /dev/null && echo x > /dev/null && ls /dev'] }, out());
  assert.equal(dev.output, 'null\n');
});

test('mkdir and symlink rows, optional binds of missing sources', { skip }, async () => {
  const base = basePlan('stat -c "%a %F" /tmp/shared; readlink /tmp/ln; ls /tmp');
  const plan: LaunchPlan = {
    ...base,
    mounts: [...base.mounts,
      { kind: 'mkdir', source: '', target: '/tmp/shared', flags: [], data: '1777', reason: 'a sticky folder' },
      { kind: 'symlink', source: '/usr/bin', target: '/tmp/ln', flags: [], reason: 'a symlink' },
      { kind: 'bind', source: '/nonexistent', target: '/tmp/missing', flags: ['ro'], optional: true, reason: 'optional' }],
  };
  const r = await runToFile(plan, out());
  assert.equal(r.code, 0, r.output);
  assert.equal(r.output, '1777 directory\n/usr/bin\nln\nshared\n');
});

test('compileSeccomp returns the two programs spawn loads', () => {
  if (skip) return;
  const programs = compileSeccomp(basePlan('true', { seccomp: seccompPlan() }));
  assert.equal(programs.length, 2);
  for (const p of programs) assert.equal(p.length % 8, 0, 'struct sock_filter is 8 bytes');
  assert.deepEqual(compileSeccomp(basePlan('true')), []);
});
