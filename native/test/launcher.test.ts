import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { spawn as spawnProcess, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { launcherPath, type LaunchPlan } from '../src';
import { needsRoot, tempDir, removeDir } from './helpers';
import { basePlan, buildProbe, cgroupPlan, cgroupDirsLeft, removeTestCgroups, needsV1, seccompPlan, v2Root, CGROUP_ROOT, CGROUP_PARENT } from './sandbox';

const skip = needsRoot('skiff-launch makes namespaces, mounts and cgroups') || needsV1();
const EXIT_LAUNCH_FAILED = 125;
let dir = '';
let probeDir = '';
let planCount = 0;

before(() => {
  if (skip) return;
  dir = tempDir('launcher');
  probeDir = buildProbe(dir);
});
after(() => {
  removeTestCgroups();
  if (dir) removeDir(dir);
});

function planFile(plan: LaunchPlan | string): string {
  const file = join(dir, `plan-${planCount++}.json`);
  writeFileSync(file, typeof plan === 'string' ? plan : JSON.stringify(plan));
  return file;
}

const launch = (args: string[], input = '') => spawnSync(launcherPath(), args, { input, encoding: 'utf8', timeout: 20000 });

test('launcherPath names an executable that runs a plan file, appending arguments and passing stdio and the exit code', { skip }, () => {
  assert.ok(launcherPath().startsWith('/'));
  const cgroup = cgroupPlan('launcher');
  const plan = basePlan('read line; echo "got:$line args:$*"; echo to-stderr >&2; exit 5', { cgroup });
  plan.argv.push('sh');  // $0 of the script; ARGS from the command line follow
  const r = launch([planFile(plan), 'one', 'two words'], 'hello\n');
  assert.equal(r.status, 5, r.stderr);
  assert.equal(r.stdout, 'got:hello args:one two words\n');
  assert.equal(r.stderr, 'to-stderr\n');
  assert.deepEqual(cgroupDirsLeft(cgroup), [], 'cgroup removed after the app exited');
});

test('an app killed by a signal gives 128+signal', { skip }, () => {
  const cgroup = cgroupPlan('oom', { memoryBytes: 32 * 1024 * 1024 });
  const plan: LaunchPlan = { ...basePlan('', { probeDir, cgroup }), argv: ['/probe/probe', 'alloc', '256'] };
  const r = launch([planFile(plan)]);
  assert.equal(r.status, 128 + 9, `${r.stdout}${r.stderr}`);
  assert.deepEqual(cgroupDirsLeft(cgroup), []);
});

test('signals sent to skiff-launch are forwarded to the app', { skip }, async () => {
  const cgroup = cgroupPlan('signals');
  // The script traps TERM: the signal reaches it through the sandbox's init.
  const plan = basePlan("trap 'echo got-TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done", { cgroup });
  const child = spawnProcess(launcherPath(), [planFile(plan)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    for (let i = 0; i < 200 && !stdout.includes('ready'); i++) await sleep(10);
    assert.ok(stdout.includes('ready'), 'the app started');
    child.kill('SIGTERM');
    assert.equal(await exited, 42);
    assert.match(stdout, /got-TERM/);
  } finally {
    child.kill('SIGKILL');
  }
  assert.deepEqual(cgroupDirsLeft(cgroup), []);
});

test('a terminating signal the app does not handle ends it, and the exit code names that signal', { skip }, async () => {
  // exec: sleep itself is the app, with no handler at all (sh would catch SIGINT and wait for sleep).
  const child = spawnProcess(launcherPath(), [planFile(basePlan('echo ready; exec sleep 600'))], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // skiff-launch → the sandbox's init → the app: wait until the app has become sleep.
    const childOf = (pid: number | string): string => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0] ?? '';
    const comm = (): string => {
      const init = childOf(child.pid!);
      const app = init ? childOf(init) : '';
      return app ? readFileSync(`/proc/${app}/comm`, 'utf8').trim() : '';
    };
    for (let i = 0; i < 400 && !(stdout.includes('ready') && comm() === 'sleep'); i++) await sleep(10);
    assert.equal(comm(), 'sleep');
    child.kill('SIGINT');
    // sleep 600 ending at all (well within the test's own limit) means the signal reached it.
    assert.equal(await exited, 128 + 2);
  } finally {
    child.kill('SIGKILL');
  }
});

test('one plan file run twice at once: with appendPid each run gets its own cgroup', { skip }, async () => {
  const cgroup = { ...cgroupPlan('twice', { pidsMax: 16 }), appendPid: true };
  const file = planFile(basePlan('sleep 0.3; echo done', { cgroup }));
  const run = () => new Promise<[number | null, string]>((resolve) => {
    const child = spawnProcess(launcherPath(), [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('close', (code) => resolve([code, output]));
  });
  assert.deepEqual(await Promise.all([run(), run()]), [[0, 'done\n'], [0, 'done\n']]);
  const parent = join(CGROUP_ROOT, 'pids', cgroup.path.split('/')[0]);
  assert.deepEqual(readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name.startsWith('twice-')).map((e) => e.name), []);
});

test('socket families, Landlock and the bind guard apply to skiff-launch too; its cgroup2 folder goes with the app', { skip }, () => {
  const root = v2Root();
  assert.ok(root, 'a cgroup2 mount for the bind guard');
  const cgroup = { ...cgroupPlan('guard'), appendPid: true };
  const AF_UNIX = 1;
  const AF_INET = 2;
  const plan: LaunchPlan = {
    ...basePlan('', { probeDir, cgroup }),
    argv: ['/probe/probe', 'sockets', '4711'],
    namespaces: ['mount', 'pid', 'ipc', 'uts', 'cgroup'],  // the host's network: where binding matters
    seccomp: { ...seccompPlan(), argRules: [AF_UNIX, AF_INET].map((value) => ({ syscall: 'socket', args: [{ index: 0, value }] })) },
    landlock: { scope: ['abstract-unix-socket', 'signal'], bindTcpPorts: [0] },
    bindGuard: { cgroup2Root: root },
  };
  const file = planFile(plan);
  // As this kernel, and as one without Landlock: the seccomp rules and the BPF guard hold alike.
  for (const r of [launch([file]), spawnSync(join(probeDir, 'probe'), ['without-landlock', launcherPath(), file], { encoding: 'utf8', timeout: 20000 })]) {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'socket_vsock=1\nsocket_inet=0\nbind_udp_port=1\nbind_udp_0=0\n');
  }
  const left = readdirSync(join(root, CGROUP_PARENT)).filter((name) => name.startsWith(`guard-${process.pid}-`));
  assert.deepEqual(left, [], 'the cgroup2 folder of the guard removed with the app');
});

test('a Landlock step the kernel supports but refuses fails the launch, named like every other step', { skip }, () => {
  const LANDLOCK_MAX_LAYERS = 16;  // the kernel's nesting limit: one more domain is E2BIG
  const plan: LaunchPlan = { ...basePlan('true', { cgroup: cgroupPlan('landlock') }), landlock: { scope: ['signal'] } };
  const r = spawnSync(join(probeDir, 'probe'), ['stack-landlock', String(LANDLOCK_MAX_LAYERS), launcherPath(), planFile(plan)], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, EXIT_LAUNCH_FAILED, r.stderr);
  assert.equal(r.stderr, 'skiff-launch: launch failed at landlock_restrict: Argument list too long\n');
});

test('an app whose skiff-launch is killed dies with it (parent-death signal), leaving no process', { skip }, async () => {
  const seconds = `613.${process.pid}`;  // a duration no other process uses: pgrep finds only ours
  const apps = () => spawnSync('pgrep', ['-f', `^sleep ${seconds}$`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  const child = spawnProcess(launcherPath(), [planFile(basePlan(`echo ready; exec sleep ${seconds}`, {}))], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    // "ready" comes from sh just before its exec: wait for sleep itself.
    for (let i = 0; i < 400 && apps().length === 0; i++) await sleep(10);
    assert.equal(apps().length, 1, 'the app runs');
    // 'exit', not 'close': an orphaned app would keep the stdout pipe open forever.
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    for (let i = 0; i < 100 && apps().length > 0; i++) await sleep(20);
    assert.deepEqual(apps(), [], 'no app process outlives its launcher');
  } finally {
    spawnSync('pkill', ['-KILL', '-f', `^sleep ${seconds}$`]);
    child.stdout.destroy();
    child.stderr.destroy();
  }
});

test('a failed launch prints one line naming the step and exits 125, leaving no cgroup', { skip }, () => {
  const cgroup = cgroupPlan('launcher-fail');
  const base = basePlan('true', { cgroup });
  const plan = { ...base, mounts: [...base.mounts, { kind: 'bind' as const, source: '/nonexistent/data', target: '/data', flags: [], reason: 'app data' }] };
  const r = launch([planFile(plan)]);
  assert.equal(r.status, EXIT_LAUNCH_FAILED);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `skiff-launch: launch failed at bind: No such file or directory (mounts[${base.mounts.length}] /data: app data)\n`);
  assert.deepEqual(cgroupDirsLeft(cgroup), []);
  assert.ok(!existsSync(join(CGROUP_ROOT, 'pids', cgroup.path)));

  const chdir = launch([planFile({ ...base, cwd: '/nowhere' })]);
  assert.equal(chdir.status, EXIT_LAUNCH_FAILED);
  assert.equal(chdir.stderr, 'skiff-launch: launch failed at chdir: No such file or directory\n');
});

test('a child that fails before its release is reported, not mistaken for a broken pipe', { skip }, () => {
  // 0-2 and the three pipes take descriptors 0-8: with 9 allowed, the child cannot copy its stdio.
  const r = spawnSync('prlimit', ['--nofile=9', launcherPath(), planFile(basePlan('true'))], { encoding: 'utf8' });
  assert.equal(r.status, EXIT_LAUNCH_FAILED, r.stderr);
  assert.equal(r.stderr, 'skiff-launch: launch failed at stdio: Too many open files\n');
});

test('usage and plan errors are one line and exit 125', { skip }, () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /^skiff-launch: usage: skiff-launch PLAN\.json \[ARGS\.\.\.\]\n$/],
    [[join(dir, 'missing.json')], /^skiff-launch: cannot read plan .*missing\.json: No such file or directory\n$/],
    [[planFile('{not json')], /^skiff-launch: plan .*: is not valid JSON\n$/],
    [[planFile({ ...basePlan('true'), uid: -1 })], /^skiff-launch: plan .*: uid is out of range\n$/],
    [[planFile({ ...basePlan('true'), namespaces: ['pid'] })], /^skiff-launch: plan .*: namespaces must include mount\n$/],
    [[planFile({ ...basePlan('true'), seccomp: { defaultAction: 'errno', errno: 1, allow: [], denyIoctls: [], errnoBySyscall: { clone3: 0 } } })],
      /^skiff-launch: plan .*: seccomp\.errnoBySyscall\.clone3 is out of range\n$/],
    [[planFile({ ...basePlan('true'), cgroup: { version: 1, root: '/sys/fs/cgroup', path: 'x', appendPid: 'yes' } } as unknown as LaunchPlan)],
      /^skiff-launch: plan .*: cgroup\.appendPid must be a boolean\n$/],
    [[planFile({ ...basePlan('true'), seccomp: { defaultAction: 'errno', errno: 1, allow: [], denyIoctls: [], argRules: [{ syscall: 'socket', args: [{ index: 7, value: 1 }] }] } })],
      /^skiff-launch: plan .*: seccomp\.argRules\[0\]\.args\[0\]\.index is out of range\n$/],
    [[planFile({ ...basePlan('true'), landlock: { scope: ['everything'] } } as unknown as LaunchPlan)],
      /^skiff-launch: plan .*: landlock\.scope must hold only abstract-unix-socket, signal\n$/],
    [[planFile({ ...basePlan('true'), bindGuard: { cgroup2Root: '/sys/fs/cgroup/unified' } })],
      /^skiff-launch: plan .*: bindGuard needs a cgroup \(its folder is named after plan\.cgroup\.path\)\n$/],
    [[planFile(JSON.stringify({ ...basePlan('true'), mounts: [{ kind: 'bind', source: '/usr', target: '/usr/../etc', flags: [], reason: 'x' }] }))],
      /^skiff-launch: plan .*: mounts\[0\]\.target must be a normalised absolute path other than \/\n$/],
  ];
  for (const [args, expected] of cases) {
    const r = launch(args);
    assert.equal(r.status, EXIT_LAUNCH_FAILED, `${args}: ${r.stderr}`);
    assert.match(r.stderr, expected);
  }
});

test('skiff-launch does not link the C++ runtime or libseccomp dynamically', { skip }, () => {
  const ldd = spawnSync('ldd', [launcherPath()], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(ldd, /libstdc\+\+|libseccomp/);
  assert.ok(readFileSync(launcherPath()).subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), 'an ELF executable');
});
