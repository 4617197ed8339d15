import { rmdirSync } from 'node:fs';

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
