// Resource limits: find a cgroup hierarchy that can enforce them, and compute them from the manifest.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseSize, processAlive, type Manifest } from '@skiff/bundle';
import { parseMountInfo, type CgroupPlan } from '@skiff/native';
import type { DeviceLimits } from './limits';
import { CgroupUnavailableError, PolicyError } from './errors';

/** The folder, in each hierarchy, under which every Skiff launch makes its cgroup. */
export const CGROUP_PARENT = 'skiff';

/** The controllers Skiff needs: memory (OOM kill), pids (fork bombs), cpu (bandwidth). */
export const REQUIRED_CONTROLLERS = ['memory', 'pids', 'cpu'] as const;

export interface CgroupLayout {
  version: 1 | 2;
  /** v2: the unified mount point; v1: the folder holding the per-controller mounts. */
  root: string;
}

/**
 * Chooses the hierarchy from /proc/self/mountinfo and the v2 `cgroup.controllers` files.
 * v2 wins only when its controllers really are there: a hybrid host keeps memory, pids and
 * cpu in v1 and leaves a nearly empty cgroup2 tree beside them (this is such a box).
 */
export function detectCgroups(mountinfo: string, readControllers: (mountPoint: string) => string | null): CgroupLayout | null {
  const mounts = parseMountInfo(mountinfo);
  const unified = mounts.filter((m) => m.fsType === 'cgroup2')
    .sort((a, b) => Number(b.mountPoint === '/sys/fs/cgroup') - Number(a.mountPoint === '/sys/fs/cgroup'));
  for (const m of unified) {
    const have = (readControllers(m.mountPoint) ?? '').trim().split(/\s+/);
    if (REQUIRED_CONTROLLERS.every((c) => have.includes(c))) return { version: 2, root: m.mountPoint };
  }
  const v1 = REQUIRED_CONTROLLERS.map((c) => mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(c)));
  if (v1.every((m) => m !== undefined)) {
    const parents = new Set(v1.map((m) => dirname(m!.mountPoint)));
    if (parents.size === 1) return { version: 1, root: [...parents][0]! };
  }
  return null;
}

/** Detects the hierarchy of this host; throws CgroupUnavailableError naming what is missing. */
export function probeCgroups(): CgroupLayout {
  const layout = detectCgroups(readFileSync('/proc/self/mountinfo', 'utf8'), (mp) => {
    try { return readFileSync(join(mp, 'cgroup.controllers'), 'utf8'); } catch { return null; }
  });
  if (!layout) {
    throw new CgroupUnavailableError(`no cgroup hierarchy with the ${REQUIRED_CONTROLLERS.join(', ')} controllers: app limits cannot be enforced`);
  }
  return layout;
}

/** Processes of a sandbox that are not the app's: its init. */
export const SANDBOX_INIT_PIDS = 1;

/** The limits for one launch: what the manifest asks, or the device default, capped by the device maximum. */
export function cgroupLimits(resources: Manifest['resources'], limits: DeviceLimits):
  Required<Pick<CgroupPlan, 'memoryBytes' | 'pidsMax' | 'cpuQuotaUs' | 'cpuPeriodUs'>> {
  const memory = resources?.memory !== undefined ? parseSize(resources.memory) : limits.defaultMemoryBytes;
  const pids = resources?.pids ?? limits.defaultPids;
  const cpu = resources?.cpu ?? limits.defaultCpu;
  if (!(memory > 0) || !Number.isInteger(pids) || pids < 1 || !(cpu > 0)) {
    throw new PolicyError(`resources must be positive (memory ${resources?.memory}, pids ${pids}, cpu ${cpu})`, 'resources');
  }
  const cpuShare = Math.min(cpu, limits.maxCpu);
  return {
    memoryBytes: Math.min(memory, limits.maxMemoryBytes),
    // One more for the sandbox's init (pid 1, see native/cpp/init.cc): the app gets all it asked for.
    pidsMax: Math.min(pids, limits.maxPids) + SANDBOX_INIT_PIDS,
    // The kernel refuses a quota under 1 ms.
    cpuQuotaUs: Math.max(1000, Math.round(cpuShare * limits.cpuPeriodUs)),
    cpuPeriodUs: limits.cpuPeriodUs,
  };
}

/** The cgroup2 mount point of this host (/sys/fs/cgroup first), or null: where the bind guard attaches. */
export function probeCgroup2(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string | null {
  const unified = parseMountInfo(mountinfo).filter((m) => m.fsType === 'cgroup2').map((m) => m.mountPoint);
  return unified.includes('/sys/fs/cgroup') ? '/sys/fs/cgroup' : unified[0] ?? null;
}

/** A hook's run name starts with this (`hook.<hook>`); an app's never does (app names hold no dot). */
export const HOOK_RUN_PREFIX = 'hook.';

/**
 * The cgroup path of one launch, below the hierarchy's root: `skiff/<name>.<run>[-<unique>]`
 * (run: the app, or HOOK_RUN_PREFIX + hook). App names hold no dot, so `<name>.` starts only this app's.
 */
export function launchCgroupPath(name: string, runName: string, unique: string): string {
  return `${CGROUP_PARENT}/${name}.${runName}${unique ? `-${unique}` : ''}`;
}

/**
 * The cgroup folders of every running launch of app `name` (apps, hooks, wrappers) in the
 * hierarchy that can freeze them: v2's own, or v1's `freezer` controller. Empty when none runs.
 */
export function appCgroupDirs(layout: CgroupLayout, name: string): string[] {
  const parent = layout.version === 2 ? join(layout.root, CGROUP_PARENT) : join(layout.root, 'freezer', CGROUP_PARENT);
  // No folder: no launch yet, or no freezer hierarchy on this host.
  return listDirs(parent).filter((e) => e.startsWith(`${name}.`)).map((e) => join(parent, e));
}

/**
 * The cgroup folders of launches whose launcher is gone, in every hierarchy: names end in -<pid>-<n>
 * (launch n of a skiff process) or -<pid> (appendPid: the app's own pid), as launchCgroupPath makes
 * them. A name ending in a live pid is left out (a launch may be filling it right now), and so is a
 * name this policy did not make. Recovery hands them to native's removeEmptyCgroups.
 */
export function staleLaunchCgroups(layout: CgroupLayout): string[] {
  const parents = layout.version === 2
    ? [join(layout.root, CGROUP_PARENT)]
    : listDirs(layout.root).map((controller) => join(layout.root, controller, CGROUP_PARENT));
  return parents.flatMap((parent) => listDirs(parent).filter((name) => !launcherMayLive(name)).map((name) => join(parent, name)));
}

function launcherMayLive(name: string): boolean {
  const m = /-(\d+)(?:-(\d+))?$/.exec(name);
  if (!m) return true;  // not a name we make: not ours to judge
  const pid = Number(m[1]);
  return pid <= 1 || processAlive(pid);
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}
