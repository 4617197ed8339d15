import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { BundleRuleError } from './errors';
import { BUNDLE_LIMITS } from './settings';
import type { BundleEntry } from './types';

/** Lists a folder as bundle entries, with lstat only: a symlink is recorded, never followed. */
export async function listTree(dir: string): Promise<BundleEntry[]> {
  const entries: BundleEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(rel ? join(dir, rel) : dir)).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, path));
      const entry = toEntry(path, st);
      if (entry.type === 'symlink') {
        entry.linkTarget = await readlink(join(dir, path));
        entry.size = Buffer.byteLength(entry.linkTarget);
      }
      entries.push(entry);
      if (entries.length > BUNDLE_LIMITS.maxEntries) {
        throw new BundleRuleError(`refused ${dir}: more than ${BUNDLE_LIMITS.maxEntries} files`, dir);
      }
      if (entry.type === 'dir') await walk(path);
    }
  };
  await walk('');
  return entries;
}

function toEntry(path: string, st: Stats): BundleEntry {
  const mode = st.mode & 0o7777;
  if (st.isFile()) return { path, type: 'file', mode, size: st.size };
  if (st.isDirectory()) return { path, type: 'dir', mode, size: 0 };
  if (st.isSymbolicLink()) return { path, type: 'symlink', mode, size: 0 };
  if (st.isCharacterDevice()) return { path, type: 'char', mode, size: 0 };
  if (st.isBlockDevice()) return { path, type: 'block', mode, size: 0 };
  if (st.isFIFO()) return { path, type: 'fifo', mode, size: 0 };
  return { path, type: 'socket', mode, size: 0 };
}
