import { readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes the given cgroup folders that are empty: the kernel keeps an empty cgroup until someone
 * removes it (a launcher killed before it reaped its app leaves one behind). A folder that still holds
 * processes refuses rmdir and is kept, as is one already gone. Which folders are stale is the caller's
 * judgement (confinement names them). Returns the folders removed.
 */
export function removeEmptyCgroups(dirs: string[]): string[] {
  const removed: string[] = [];
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
      removed.push(dir);
    } catch { /* EBUSY: processes are still in it; ENOENT: gone already */ }
  }
  return removed;
}

/**
 * SIGKILL to every process of the given cgroup folders: cgroup.kill where the folder has it (v2),
 * else each pid its cgroup.procs lists. The folder is the identity: no bare pid read elsewhere is signalled.
 */
export function killCgroups(dirs: string[]): void {
  for (const dir of dirs) {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
      continue;
    } catch { /* v1: no cgroup.kill */ }
    let procs: string;
    try { procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8'); } catch { continue; }
    for (const pid of procs.split('\n').filter(Boolean).map(Number)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}
