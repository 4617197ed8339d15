// The mount table: the app's whole view of the filesystem, one row per path, each with why.
import { lstatSync, readlinkSync } from 'node:fs';
import { DeviceLayout } from '@skiff/bundle';
import type { MountRow } from '@skiff/native';
import type { AppContext } from './context';

/** What a top-level host path is: a folder to bind, a symlink to recreate, or nothing. */
export type HostEntry = { kind: 'dir' } | { kind: 'symlink'; target: string } | { kind: 'missing' };
export type HostLayout = (path: string) => HostEntry;

/** Reads the host's layout with lstat, so a symlink (merged /usr) is seen as one, never followed. */
export const probeHost: HostLayout = (path) => {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(path) };
    return { kind: 'dir' };
  } catch {
    return { kind: 'missing' };
  }
};

/** Host paths of one revision of an app, as laid out by the device (DeviceLayout). */
export interface AppPaths { bundle: string; data: string; common: string }

export function appPaths(ctx: Pick<AppContext, 'root' | 'name' | 'revision'>): AppPaths {
  const layout = new DeviceLayout(ctx.root);
  return {
    bundle: layout.mountDir(ctx.name, ctx.revision),
    data: layout.revDataDir(ctx.name, ctx.revision),
    common: layout.commonDataDir(ctx.name),
  };
}

/** Host system folders shown read-only until bases exist; absent ones are skipped. */
const HOST_SYSTEM: ReadonlyArray<{ path: string; optional: boolean; why: string }> = [
  { path: '/usr', optional: false, why: 'programs and libraries of the host (no base yet)' },
  { path: '/bin', optional: false, why: 'programs (/bin/sh)' },
  { path: '/sbin', optional: true, why: 'system programs some scripts call by path' },
  { path: '/lib', optional: false, why: 'shared libraries and the dynamic loader' },
  { path: '/lib64', optional: true, why: 'the 64-bit dynamic loader path on x86_64' },
  { path: '/lib32', optional: true, why: '32-bit libraries on multilib hosts' },
  { path: '/etc', optional: false, why: 'host configuration: ld.so.cache, passwd, resolv.conf, certificates' },
];

const DEV_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const DEV_LINKS: ReadonlyArray<[string, string]> = [
  ['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'],
];

/**
 * The rows, in the order the launcher executes them. `extra` rows come from connected plugs.
 * Pure over its inputs: the host layout is passed in so tests can describe any host.
 */
export function mountTable(paths: AppPaths, host: HostLayout, tmpBytes: number, extra: MountRow[] = []): MountRow[] {
  // No row for '/': the launcher always builds the new root on an empty tmpfs of its own (and makes
  // it read-only at the end), so nothing of the host is visible unless a row below adds it.
  const rows: MountRow[] = [];
  for (const sys of HOST_SYSTEM) {
    const entry = host(sys.path);
    if (entry.kind === 'symlink') {
      // Merged /usr: recreate the link (into our own /usr) instead of following it on the host.
      rows.push({ kind: 'symlink', source: entry.target, target: sys.path, flags: [],
        reason: `${sys.why}; a symlink on the host, recreated as one` });
    } else if (entry.kind === 'dir' || !sys.optional) {
      rows.push({ kind: 'bind', source: sys.path, target: sys.path, flags: ['ro', 'nosuid', 'nodev'],
        reason: `${sys.why}; read-only`, ...(sys.optional ? { optional: true } : {}) });
    }
  }
  rows.push(
    { kind: 'bind', source: paths.bundle, target: '/app', flags: ['ro', 'nosuid', 'nodev'],
      reason: 'the bundle of this revision, read-only' },
    { kind: 'bind', source: paths.data, target: '/data', flags: ['nosuid', 'nodev'],
      reason: "this revision's own data, writable, kept between runs (HOME)" },
    { kind: 'bind', source: paths.common, target: '/common', flags: ['nosuid', 'nodev'],
      reason: 'data shared by all revisions of the app, writable' },
    { kind: 'tmpfs', source: 'tmpfs', target: '/tmp', flags: ['nosuid', 'nodev'], data: `mode=1777,size=${tmpBytes}`,
      reason: 'a private /tmp, empty at each run, never shared with the host or other apps' },
    { kind: 'proc', source: 'proc', target: '/proc', flags: ['nosuid', 'nodev', 'noexec'],
      reason: "a new /proc of the app's own pid namespace: no host process is visible" },
    { kind: 'tmpfs', source: 'tmpfs', target: '/dev', flags: ['nosuid', 'noexec'], data: 'mode=0755,size=64k',
      reason: 'a minimal /dev: only the harmless nodes below, no disks or consoles' },
  );
  for (const node of DEV_NODES) {
    rows.push({ kind: 'bind', source: `/dev/${node}`, target: `/dev/${node}`, flags: ['nosuid', 'noexec'],
      reason: `/dev/${node}, a standard character device programs expect` });
  }
  for (const [name, target] of DEV_LINKS) {
    rows.push({ kind: 'symlink', source: target, target: `/dev/${name}`, flags: [],
      reason: `/dev/${name} as programs expect, through the app's own /proc` });
  }
  rows.push({ kind: 'tmpfs', source: 'tmpfs', target: '/dev/shm', flags: ['nosuid', 'nodev', 'noexec'],
    data: `mode=1777,size=${tmpBytes}`, reason: 'private POSIX shared memory (python multiprocessing, browsers)' });
  return [...rows, ...extra];
}
