import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Manifest } from '@skiff/bundle';
import type { MountRow } from '@skiff/native';
import {
  buildLaunchPlan, resolveTarget, PolicyError, UnknownTargetError, wrapperPaths, planPath,
  wrapperScript, isFileOfApp, type AppContext, type HostLayout, type CgroupLayout,
} from '../src';

const manifest: Manifest = {
  name: 'hello', version: '1.2', summary: 'says hello',
  apps: { hello: { command: 'bin/hello', plugs: ['network'] }, report: { command: 'bin/report' } },
  hooks: { 'check-health': {} },
  plugs: ['network-bind'],
  resources: { pids: 64, cpu: 0.5 },
};
const ctx = (over: Partial<AppContext> = {}): AppContext => ({
  root: '/srv/dev', name: 'hello', revision: 3, version: '1.2', manifest, uid: 20001, gid: 20001,
  grants: [], devmode: false, ...over,
});
// A merged-/usr Debian host without /lib32.
const merged: HostLayout = (p) => ({ '/bin': { kind: 'symlink', target: 'usr/bin' }, '/lib': { kind: 'symlink', target: 'usr/lib' },
  '/lib64': { kind: 'symlink', target: 'usr/lib64' }, '/sbin': { kind: 'symlink', target: 'usr/sbin' },
  '/lib32': { kind: 'missing' } } as Record<string, ReturnType<HostLayout>>)[p] ?? { kind: 'dir' };
const v1: CgroupLayout = { version: 1, root: '/sys/fs/cgroup' };
const plan = (c = ctx(), target: Parameters<typeof buildLaunchPlan>[1] = { app: 'hello' }, args: string[] = []) =>
  buildLaunchPlan(c, target, args, { host: merged, cgroups: v1, cgroup2: '/sys/fs/cgroup/unified', unique: 't' });
const row = (rows: MountRow[], target: string) => rows.find((r) => r.target === target);

test('every mount row says why; the launcher builds the root, system folders come first', () => {
  const rows = plan().mounts;
  assert.ok(!rows.some((r) => r.target === '/'));
  assert.deepEqual([rows[0]!.kind, rows[0]!.target], ['bind', '/usr']);
  for (const r of rows) assert.ok(r.reason.length > 10, `row ${r.target} has no reason`);
});

test('the bundle is /app read-only, data and common are writable, /tmp and /proc are new', () => {
  const rows = plan().mounts;
  assert.deepEqual(row(rows, '/app'), { kind: 'bind', source: '/srv/dev/skiff/hello/3', target: '/app',
    flags: ['ro', 'nosuid', 'nodev'], reason: row(rows, '/app')!.reason });
  assert.equal(row(rows, '/data')!.source, '/srv/dev/var/skiff/hello/3');
  assert.ok(!row(rows, '/data')!.flags.includes('ro'));
  assert.equal(row(rows, '/common')!.source, '/srv/dev/var/skiff/hello/common');
  assert.equal(row(rows, '/tmp')!.kind, 'tmpfs');
  assert.equal(row(rows, '/proc')!.kind, 'proc');
  assert.equal(row(rows, '/dev/shm')!.kind, 'tmpfs');
});

test('nothing else of the host: binds come only from system folders, /dev nodes and the app', () => {
  const allowed = /^(\/usr|\/etc|\/dev\/(null|zero|full|random|urandom|tty)|\/srv\/dev\/skiff\/hello\/3|\/srv\/dev\/var\/skiff\/hello\/(3|common))$/;
  for (const r of plan().mounts.filter((m) => m.kind === 'bind')) assert.match(r.source, allowed);
  for (const r of plan().mounts.filter((m) => m.kind === 'bind' && m.source.startsWith('/usr'))) assert.ok(r.flags.includes('ro'));
  assert.ok(!plan().mounts.some((r) => r.target === '/sys' || r.target === '/root' || r.target.startsWith('/var')));
});

test('merged-/usr links are recreated as symlinks, never bound through; plain folders are bound', () => {
  const rows = plan().mounts;
  assert.deepEqual([row(rows, '/bin')!.kind, row(rows, '/bin')!.source], ['symlink', 'usr/bin']);
  assert.equal(row(rows, '/lib32'), undefined);
  const split: HostLayout = (p) => (p === '/lib32' ? { kind: 'missing' } : { kind: 'dir' });
  const rows2 = buildLaunchPlan(ctx(), { app: 'hello' }, [], { host: split, cgroups: v1 }).mounts;
  assert.deepEqual([row(rows2, '/bin')!.kind, row(rows2, '/bin')!.flags], ['bind', ['ro', 'nosuid', 'nodev']]);
  assert.deepEqual(row(rows2, '/dev/stdout'), { kind: 'symlink', source: '/proc/self/fd/1', target: '/dev/stdout',
    flags: [], reason: row(rows2, '/dev/stdout')!.reason });
});

test('a private network namespace unless network is both asked and connected', () => {
  assert.ok(plan().namespaces.includes('net'));
  assert.ok(!plan(ctx({ grants: ['network'] })).namespaces.includes('net'));
  // report does not ask for network: a grant to the bundle does not reach it.
  assert.ok(plan(ctx({ grants: ['network'] }), { app: 'report' }).namespaces.includes('net'));
  assert.deepEqual(plan().namespaces.slice(0, 5), ['mount', 'pid', 'ipc', 'uts', 'cgroup']);
});

test('network-bind adds listen and accept; hardware-observe adds /sys read-only', () => {
  assert.ok(!plan().seccomp!.allow.includes('listen'));
  assert.ok(plan(ctx({ grants: ['network-bind'] })).seccomp!.allow.includes('listen'));
  const m2: Manifest = { ...manifest, plugs: ['hardware-observe'] };
  const sys = row(plan(ctx({ manifest: m2, grants: ['hardware-observe'] })).mounts, '/sys');
  assert.deepEqual(sys?.flags, ['ro', 'nosuid', 'nodev', 'noexec']);
});

test('sockets: unix and inet for all, netlink route with network; binds guarded only on the host network without network-bind', () => {
  const socketRules = (p: ReturnType<typeof plan>) => p.seccomp!.argRules!.map((r) => `${r.syscall}:${r.args.map((a) => `${a.index}=${a.value}`).join(',')}`);
  assert.deepEqual(socketRules(plan()), ['socket:0=1', 'socket:0=2', 'socket:0=10', 'socketpair:0=1']);
  assert.ok(!plan().seccomp!.allow.includes('socket'));
  assert.deepEqual(socketRules(plan(ctx({ grants: ['network'] }))).slice(4), ['socket:0=16,2=0']);
  const scope = ['abstract-unix-socket', 'signal'];
  // hello asks for network and (bundle-wide) network-bind: each grant decides.
  assert.deepEqual([plan().landlock, plan().bindGuard], [{ scope }, null]);
  const hostNet = plan(ctx({ grants: ['network'] }));
  assert.deepEqual([hostNet.landlock, hostNet.bindGuard], [{ scope, bindTcpPorts: [0] }, { cgroup2Root: '/sys/fs/cgroup/unified' }]);
  const server = plan(ctx({ grants: ['network', 'network-bind'] }));
  assert.deepEqual([server.landlock, server.bindGuard], [{ scope }, null]);
  const noCgroup2 = buildLaunchPlan(ctx({ grants: ['network'] }), { app: 'hello' }, [], { host: merged, cgroups: v1, cgroup2: null, unique: 't' });
  assert.equal(noCgroup2.bindGuard, null);
  const v2 = buildLaunchPlan(ctx({ grants: ['network'] }), { app: 'hello' }, [], { host: merged, cgroups: { version: 2, root: '/sys/fs/cgroup' }, cgroup2: '/elsewhere', unique: 't' });
  assert.deepEqual(v2.bindGuard, { cgroup2Root: '/sys/fs/cgroup' }, "on v2 the guard is on the launch's own cgroup");
});

test('uid or gid 0 is refused, and so are names that could leave their folders', () => {
  assert.throws(() => plan(ctx({ uid: 0 })), (e) => e instanceof PolicyError && e.field === 'uid');
  assert.throws(() => plan(ctx({ gid: 0 })), (e) => e instanceof PolicyError && e.field === 'gid');
  assert.throws(() => plan(ctx({ uid: -5 })), PolicyError);
  assert.throws(() => plan(ctx({ name: '../x', manifest: { ...manifest, name: '../x' } })), PolicyError);
  assert.throws(() => plan(ctx({ revision: 0 })), PolicyError);
  assert.throws(() => plan(ctx({ manifest: { ...manifest, apps: { hello: { command: '../../bin/sh' } } } })), PolicyError);
  assert.throws(() => plan(ctx(), { app: 'nope' }), UnknownTargetError);
});

test('argv, uid, hostname, cwd and a clean environment', () => {
  const p = plan(ctx(), { app: 'report' }, ['--fast', 'x y']);
  assert.deepEqual(p.argv, ['/app/bin/report', '--fast', 'x y']);
  assert.deepEqual([p.uid, p.gid, p.hostname, p.cwd], [20001, 20001, 'hello', '/data']);
  for (const kv of ['SKIFF_NAME=hello', 'SKIFF_REVISION=3', 'SKIFF_VERSION=1.2', 'SKIFF_DATA=/data',
    'SKIFF_COMMON=/common', 'HOME=/data', 'LANG=C.UTF-8']) assert.ok(p.env.includes(kv), kv);
  assert.ok(!p.env.some((e) => e.startsWith('PATH=') && e.includes(process.env.HOME ?? '/root')));
  assert.deepEqual(plan(ctx(), { hook: 'check-health' }).argv, ['/app/meta/hooks/check-health']);
});

test('resolveTarget maps NAME and NAME.APP, and refuses other bundles and unknown apps', () => {
  assert.deepEqual(resolveTarget(manifest, 'hello'), { app: 'hello' });
  assert.deepEqual(resolveTarget(manifest, 'hello.report'), { app: 'report' });
  const single: Manifest = { ...manifest, apps: { serve: { command: 'serve' } } };
  assert.deepEqual(resolveTarget(single, 'hello'), { app: 'serve' });
  assert.throws(() => resolveTarget(manifest, 'other'), UnknownTargetError);
  assert.throws(() => resolveTarget(manifest, 'hello.nope'), UnknownTargetError);
  assert.deepEqual(wrapperPaths('/r', manifest, 'hello'), ['/r/skiff/bin/hello', '/r/skiff/bin/hello.hello']);
  assert.deepEqual(wrapperPaths('/r', manifest, 'report'), ['/r/skiff/bin/hello.report']);
  assert.equal(planPath('/r', 'hello', 'report'), '/r/var/lib/skiff/plans/hello.report.json');
});

test('wrappers as text: the script quotes both paths, and an app owns <name> and <name>.*, never <name>-*', () => {
  assert.equal(wrapperScript("/opt/it's/skiff-launch", '/r/p.json'), `#!/bin/sh\nexec '/opt/it'\\''s/skiff-launch' '/r/p.json' "$@"\n`);
  assert.deepEqual(['hello', 'hello.report', 'hello.report.json', 'hello-world', 'hell', 'other'].filter((f) => isFileOfApp(f, 'hello')),
    ['hello', 'hello.report', 'hello.report.json']);
});
