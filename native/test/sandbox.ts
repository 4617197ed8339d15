// Test fixtures for launches: a minimal plan over the host's /usr, the probe binary, running a
// plan with its output captured, and checks that nothing (process, cgroup) was left behind.
import { openSync, closeSync, readFileSync, readdirSync, existsSync, rmdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { LaunchPlan, MountRow, CgroupPlan, SeccompPlan, ExitStatus } from '../src';
import { spawn, wait } from '../src';

export const CGROUP_ROOT = '/sys/fs/cgroup';
/** Parent of every cgroup the tests make, removed in cleanup. */
export const CGROUP_PARENT = 'skiff-native-test';
export const V1_CONTROLLERS = ['memory', 'pids', 'cpu'];
/** An unprivileged uid/gid for the app (nobody on Debian). */
export const APP_ID = 65534;

/** `skip` reason when this host has no cgroup v1 memory/pids/cpu hierarchies, else false. */
export function needsV1(): string | false {
  return V1_CONTROLLERS.every((c) => existsSync(join(CGROUP_ROOT, c, 'cgroup.procs'))) ? false
    : 'needs cgroup v1 memory, pids and cpu hierarchies under /sys/fs/cgroup';
}

/** Where a cgroup2 hierarchy is mounted: the hybrid layout's /sys/fs/cgroup/unified, or /sys/fs/cgroup itself. */
export function v2Root(): string | null {
  for (const root of [join(CGROUP_ROOT, 'unified'), CGROUP_ROOT]) if (existsSync(join(root, 'cgroup.subtree_control'))) return root;
  return null;
}

/** Compiles test/probe.c statically into dir and returns the folder holding `probe`. */
export function buildProbe(dir: string): string {
  const out = join(dir, 'probe-bin');
  mkdirSync(out, { recursive: true });
  execFileSync('cc', ['-static', '-O1', '-pthread', '-o', join(out, 'probe'), join(__dirname, '..', '..', 'test', 'probe.c')]);
  return out;
}

const hostRow = (path: string, optional = false): MountRow =>
  ({ kind: 'bind', source: path, target: path, flags: ['ro', 'nosuid', 'nodev'], optional, reason: `host ${path}, read-only` });

/** The mount table of a small sandbox: host /usr, /bin, /lib*, /etc read-only, a new /proc, a private /tmp. */
export function baseMounts(probeDir?: string): MountRow[] {
  const rows: MountRow[] = [
    hostRow('/usr'), hostRow('/bin', true), hostRow('/lib', true), hostRow('/lib64', true), hostRow('/etc'),
    { kind: 'proc', source: '', target: '/proc', flags: [], reason: 'a proc of the new pid namespace' },
    { kind: 'tmpfs', source: '', target: '/tmp', flags: ['nosuid', 'nodev'], data: 'mode=1777,size=16m', reason: 'private /tmp' },
  ];
  if (probeDir) rows.push({ kind: 'bind', source: probeDir, target: '/probe', flags: ['ro', 'nosuid', 'nodev'], reason: 'the test probe' });
  return rows;
}

/** Syscalls the tests expect to be denied (docs/threat-model.md). */
export const DENIED_SYSCALLS = ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'ptrace', 'kexec_load', 'init_module',
  'bpf', 'perf_event_open', 'keyctl', 'add_key', 'open_by_handle_at', 'reboot', 'swapon'];

/** Every syscall of this architecture except the denied ones: enough for sh, ls, grep and the probe. */
export function broadAllowlist(): string[] {
  const header = readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', 'utf8');
  const names = [...header.matchAll(/#define __NR_(\w+) \d+/g)].map((m) => m[1]);
  return names.filter((n) => !DENIED_SYSCALLS.includes(n));
}

export function seccompPlan(errno = 1): SeccompPlan {
  return { defaultAction: 'errno', errno, allow: broadAllowlist(), denyIoctls: [] };
}

export function cgroupPlan(name: string, limits: Partial<CgroupPlan> = {}): CgroupPlan {
  return { version: 1, root: CGROUP_ROOT, path: `${CGROUP_PARENT}/${name}-${process.pid}`, ...limits };
}

export function basePlan(command: string, opts: Partial<LaunchPlan> & { probeDir?: string } = {}): LaunchPlan {
  const { probeDir, ...rest } = opts;
  return {
    argv: ['/bin/sh', '-c', command],
    env: ['PATH=/usr/bin:/bin', 'HOME=/tmp', 'LC_ALL=C'],
    cwd: '/',
    hostname: 'skiff-test',
    namespaces: ['mount', 'pid', 'ipc', 'uts', 'cgroup', 'net'],
    mounts: baseMounts(probeDir),
    uid: APP_ID,
    gid: APP_ID,
    cgroup: null,
    seccomp: null,
    ...rest,
  };
}

/** Spawns plan with stdout and stderr into a file, waits, and returns the status and the output. */
export async function runToFile(plan: LaunchPlan, outFile: string): Promise<ExitStatus & { output: string }> {
  const out = openSync(outFile, 'w');
  const devNull = openSync('/dev/null', 'r');
  let pid: number;
  try {
    pid = spawn(plan, { stdio: [devNull, out, out] });
  } finally {
    closeSync(out);
    closeSync(devNull);
  }
  const status = await wait(pid);
  return { ...status, output: readFileSync(outFile, 'utf8') };
}

/** Pids whose parent is this process (a launch must leave none behind). */
export function childPids(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) found.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return found;
}

/** The v1 folders a cgroup plan makes (only those that exist now). */
export function cgroupDirsLeft(cg: CgroupPlan): string[] {
  return V1_CONTROLLERS.map((c) => join(cg.root, c, cg.path)).filter((d) => existsSync(d));
}

/** Removes every test cgroup left behind (best effort, for after()). */
export function removeTestCgroups(): void {
  const roots = [...V1_CONTROLLERS.map((c) => join(CGROUP_ROOT, c)), v2Root()].filter((r): r is string => r !== null);
  for (const root of roots) {
    const parent = join(root, CGROUP_PARENT);
    if (!existsSync(parent)) continue;
    for (const e of readdirSync(parent, { withFileTypes: true })) if (e.isDirectory()) try { rmdirSync(join(parent, e.name)); } catch { /* busy */ }
    try { rmdirSync(parent); } catch { /* busy */ }
  }
}
