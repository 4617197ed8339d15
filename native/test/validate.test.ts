import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePlan, spawn, wait, type LaunchPlan } from '../src';
import { basePlan } from './sandbox';

const good = (): LaunchPlan => basePlan('true', {
  cgroup: { version: 1, root: '/sys/fs/cgroup', path: 'skiff/a-1', memoryBytes: 1 << 20 },
  seccomp: { defaultAction: 'errno', errno: 1, allow: ['read'], denyIoctls: [0x5412] },
});

test('a well-formed plan passes', () => {
  validatePlan(good());
});

test('each malformed field is a TypeError naming it', () => {
  const cases: Array<[string, (p: LaunchPlan) => void]> = [
    ['plan.argv', (p) => { p.argv = []; }],
    ['plan.argv[0]', (p) => { (p.argv as unknown[])[0] = 5; }],
    ['plan.env', (p) => { p.env = ['NOEQUALS']; }],
    ['plan.cwd', (p) => { p.cwd = 'relative'; }],
    ['plan.hostname', (p) => { p.hostname = 'x'.repeat(65); }],
    ['plan.namespaces', (p) => { p.namespaces = ['pid'] as LaunchPlan['namespaces']; }],
    ['plan.namespaces', (p) => { (p.namespaces as string[]).push('user'); }],
    ['plan.mounts[0].kind', (p) => { (p.mounts[0] as { kind: string }).kind = 'overlay'; }],
    ['plan.mounts[0].target', (p) => { p.mounts[0].target = '/usr/../etc'; }],
    ['plan.mounts[0].target', (p) => { p.mounts[0].target = '/'; }],
    ['plan.mounts[0].source', (p) => { p.mounts[0].source = 'usr'; }],
    ['plan.mounts[0].flags', (p) => { (p.mounts[0].flags as string[]).push('exec'); }],
    ['plan.mounts[0].optional', (p) => { (p.mounts[0] as { optional: unknown }).optional = 'yes'; }],
    ['plan.uid', (p) => { p.uid = 4294967295; }],
    ['plan.gid', (p) => { p.gid = -1; }],
    ['plan.cgroup.version', (p) => { (p.cgroup as { version: number }).version = 3; }],
    ['plan.cgroup.path', (p) => { p.cgroup!.path = '../escape'; }],
    ['plan.cgroup.memoryBytes', (p) => { p.cgroup!.memoryBytes = 0.5; }],
    // NaN reaches the check as JSON null: a limit given wrong is refused, never dropped.
    ['plan.cgroup.memoryBytes', (p) => { p.cgroup!.memoryBytes = NaN; }],
    ['plan.cgroup.cpuPeriodUs', (p) => { p.cgroup!.cpuPeriodUs = 10; }],
    ['plan.seccomp.defaultAction', (p) => { (p.seccomp as { defaultAction: string }).defaultAction = 'kill'; }],
    ['plan.seccomp.errno', (p) => { p.seccomp!.errno = 5000; }],
    ['plan.seccomp.denyIoctls[0]', (p) => { p.seccomp!.denyIoctls = [-1]; }],
    ['plan.seccomp.errnoBySyscall.clone3', (p) => { p.seccomp!.errnoBySyscall = { clone3: 0 }; }],
    ['plan.seccomp.errnoBySyscall', (p) => { (p.seccomp as { errnoBySyscall: unknown }).errnoBySyscall = [38]; }],
    ['plan.seccomp.denyCloneFlags', (p) => { p.seccomp!.denyCloneFlags = 2 ** 33; }],
    ['plan.cgroup.appendPid', (p) => { (p.cgroup as { appendPid: unknown }).appendPid = 1; }],
    ['plan.seccomp.argRules', (p) => { (p.seccomp as { argRules: unknown }).argRules = {}; }],
    ['plan.seccomp.argRules[0].args', (p) => { p.seccomp!.argRules = [{ syscall: 'socket', args: [] }]; }],
    ['plan.seccomp.argRules[0].args[0].index', (p) => { p.seccomp!.argRules = [{ syscall: 'socket', args: [{ index: 6, value: 1 }] }]; }],
    ['plan.seccomp.argRules[0].args[0].value', (p) => { p.seccomp!.argRules = [{ syscall: 'socket', args: [{ index: 0, value: 2 ** 32 }] }]; }],
    ['plan.landlock.scope', (p) => { p.landlock = { scope: ['network'] as unknown as ['signal'] }; }],
    ['plan.landlock.bindTcpPorts[0]', (p) => { p.landlock = { scope: [], bindTcpPorts: [65536] }; }],
    ['plan.bindGuard.cgroup2Root', (p) => { p.bindGuard = { cgroup2Root: 'sys/fs/cgroup' }; }],
    ['plan.bindGuard', (p) => { p.bindGuard = { cgroup2Root: '/sys/fs/cgroup' }; p.cgroup = null; }],
  ];
  for (const [field, mutate] of cases) {
    const plan = good();
    mutate(plan);
    assert.throws(() => validatePlan(plan), (e: unknown) => e instanceof TypeError && e.message.startsWith(field + ' '), `${field} after ${mutate}`);
  }
  assert.throws(() => validatePlan(null), TypeError);
  const noSeccomp = good() as Partial<LaunchPlan>;
  delete noSeccomp.seccomp;
  assert.throws(() => validatePlan(noSeccomp), /plan.seccomp is missing/);
});

test('spawn and wait check their options before anything else', async () => {
  assert.throws(() => spawn(good(), { stdio: [0, 1] as unknown as [number, number, number] }), TypeError);
  assert.throws(() => spawn(good(), { stdio: [0, 1, -2] }), TypeError);
  await assert.rejects(wait(0), TypeError);
  await assert.rejects(wait(1.5), TypeError);
});
