import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** The folder, in each hierarchy, under which every Skiff launch makes its cgroup. */
export const CGROUP_PARENT = 'skiff';

/**
 * Removes the empty cgroups under `<hierarchy>/skiff` whose launcher is gone. A launcher killed
 * before it reaped its app (SIGKILL, OOM) leaves its cgroup folder behind: the kernel keeps an
 * empty cgroup until someone removes it. A name ending in a live pid is left alone (a launch may be
 * filling it right now), and a cgroup that still holds processes refuses rmdir and is kept.
 * Returns the folders removed.
 */
export function removeStaleCgroups(layout: { version: 1 | 2; root: string }): string[] {
  const parents = layout.version === 2
    ? [join(layout.root, CGROUP_PARENT)]
    : listDirs(layout.root).map((controller) => join(layout.root, controller, CGROUP_PARENT));
  const removed: string[] = [];
  for (const parent of parents) {
    for (const name of listDirs(parent)) {
      if (launcherMayLive(name)) continue;
      try {
        rmdirSync(join(parent, name));
        removed.push(join(parent, name));
      } catch { /* EBUSY: processes are still in it */ }
    }
  }
  return removed;
}

// Names end in -<pid>-<n> (launch n of a skiff process) or -<pid> (appendPid: the app's own pid).
function launcherMayLive(name: string): boolean {
  const m = /-(\d+)(?:-(\d+))?$/.exec(name);
  if (!m) return true;  // not a name we make: not ours to judge
  const pid = Number(m[1]);
  return pid <= 1 || existsSync(`/proc/${pid}`);
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}
