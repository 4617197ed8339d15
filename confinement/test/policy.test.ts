import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '@skiff/bundle';
import {
  buildLaunchPlan, detectCgroups, cgroupLimits, deviceLimits, seccompPlan, isAutoConnected,
  plugPolicy, UnknownPlugError, DEFAULT_DEVICE_LIMITS, SANDBOX_INIT_PIDS, appCgroupDirs, launchCgroupPath, type AppContext,
} from '../src';

// This box: cgroup v1 controllers, plus a cgroup2 tree holding only hugetlb.
const HYBRID = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const V2_ONLY = `24 22 0:21 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const controllers = (files: Record<string, string>) => (mp: string) => files[mp] ?? null;

test('cgroup detection: a v2-only host with its controllers is version 2', () => {
  assert.deepEqual(detectCgroups(V2_ONLY, controllers({ '/sys/fs/cgroup': 'cpuset cpu io memory hugetlb pids rdma misc\n' })),
    { version: 2, root: '/sys/fs/cgroup' });
});

test('cgroup detection: the hybrid layout (cgroup2 with only hugetlb) is version 1', () => {
  assert.deepEqual(detectCgroups(HYBRID, controllers({ '/sys/fs/cgroup/unified': 'hugetlb\n' })),
    { version: 1, root: '/sys/fs/cgroup' });
  // The same host once memory, pids and cpu move to the unified tree.
  assert.deepEqual(detectCgroups(HYBRID, controllers({ '/sys/fs/cgroup/unified': 'cpu memory pids\n' })),
    { version: 2, root: '/sys/fs/cgroup/unified' });
});

test('cgroup detection: v2 without pids and no v1 either gives nothing', () => {
  assert.equal(detectCgroups(V2_ONLY, controllers({ '/sys/fs/cgroup': 'cpu memory io' })), null);
  assert.equal(detectCgroups('', controllers({})), null);
  // v1 with cpu joined to cpuacct still counts.
  const joined = HYBRID.replace('/sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu', '/sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct');
  assert.equal(detectCgroups(joined, controllers({}))?.version, 1);
});

test('limits: defaults, what the app asks, capped by the device', () => {
  const l = deviceLimits({ maxPids: 100 });
  assert.deepEqual(cgroupLimits(undefined, l), { memoryBytes: DEFAULT_DEVICE_LIMITS.defaultMemoryBytes,
    pidsMax: 100 + SANDBOX_INIT_PIDS, cpuQuotaUs: 100_000, cpuPeriodUs: 100_000 });
  assert.equal(cgroupLimits({ pids: 5000 }, l).pidsMax, 100 + SANDBOX_INIT_PIDS, 'the maximum, and one for the sandbox init');
  assert.equal(cgroupLimits({ cpu: 0.25 }, l).cpuQuotaUs, 25_000);
  assert.equal(cgroupLimits({ cpu: 64 }, l).cpuQuotaUs, l.maxCpu * 100_000);
  assert.throws(() => cgroupLimits({ pids: 0 }, l));
});

test('limits: memory sizes are parsed and capped', () => {
  const l = deviceLimits({ maxMemoryBytes: 128 * 1024 * 1024 });
  assert.equal(cgroupLimits({ memory: '64M' }, l).memoryBytes, 64 * 1024 * 1024);
  assert.equal(cgroupLimits({ memory: '4G' }, l).memoryBytes, 128 * 1024 * 1024);
});

test('seccomp: default deny with EPERM, TIOCSTI and TIOCLINUX denied, dangerous calls absent', () => {
  const s = seccompPlan([], false);
  assert.deepEqual([s.defaultAction, s.errno], ['errno', 1]);
  assert.ok(s.denyIoctls.includes(0x5412) && s.denyIoctls.includes(0x541c));
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'ptrace', 'kexec_load', 'kexec_file_load',
    'init_module', 'finit_module', 'delete_module', 'bpf', 'perf_event_open', 'keyctl', 'add_key', 'request_key',
    'open_by_handle_at', 'name_to_handle_at', 'reboot', 'swapon', 'swapoff', 'chroot', 'io_uring_setup']) {
    assert.ok(!s.allow.includes(name), `${name} must not be allowed`);
  }
  for (const name of ['read', 'execve', 'clone', 'futex', 'epoll_wait', 'connect', 'mmap']) assert.ok(s.allow.includes(name), name);
  assert.equal(s.errnoBySyscall.clone3, 38);
  assert.equal(seccompPlan([], true).defaultAction, 'log');
});

test('plugs: network auto-connects, the others are manual, unknown names are refused', () => {
  assert.equal(isAutoConnected('network'), true);
  assert.equal(isAutoConnected('network-bind'), false);
  assert.equal(isAutoConnected('hardware-observe'), false);
  assert.equal(isAutoConnected('no-such-plug'), false, 'a plug confinement does not know is never connected');
  assert.throws(() => plugPolicy('camera'), UnknownPlugError);
  assert.throws(() => plugPolicy('constructor'), UnknownPlugError);
});

test('the real host has a usable cgroup hierarchy and the default plan uses it', () => {
  const m: Manifest = { name: 'probe', version: '1', summary: 's', apps: { probe: { command: 'probe' } } };
  const ctx: AppContext = { root: '/r', name: 'probe', revision: 1, version: '1', manifest: m, uid: 1000, gid: 1000, grants: [], devmode: false };
  const c = buildLaunchPlan(ctx, { app: 'probe' }).cgroup!;
  assert.ok(c.version === 1 || c.version === 2);
  assert.match(c.path, /^skiff\/probe\.probe-\d+-\d+$/);
  assert.notEqual(buildLaunchPlan(ctx, { app: 'probe' }).cgroup!.path, c.path, 'each launch gets its own cgroup');
});

test('appCgroupDirs finds the launches of one app by name, in the hierarchy that freezes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cgnames-'));
  try {
    const names = [launchCgroupPath('hello', 'hello', '10-1'), launchCgroupPath('hello', 'hook.install', '10-2'),
      launchCgroupPath('hello', 'report', ''), launchCgroupPath('hello-world', 'hello-world', '10-3')];
    for (const n of names) mkdirSync(join(dir, 'freezer', n), { recursive: true });
    writeFileSync(join(dir, 'freezer', 'skiff', 'hello.not-a-folder'), '');
    assert.deepEqual(appCgroupDirs({ version: 1, root: dir }, 'hello').sort(),
      ['hello.hello-10-1', 'hello.hook.install-10-2', 'hello.report'].map((n) => join(dir, 'freezer', 'skiff', n)));
    assert.deepEqual(appCgroupDirs({ version: 2, root: dir }, 'hello'), [], 'v2 looks in <root>/skiff');
    assert.deepEqual(appCgroupDirs({ version: 1, root: join(dir, 'none') }, 'hello'), []);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
