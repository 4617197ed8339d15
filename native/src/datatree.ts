// Copy and delete of an app's writable data without following any path the app controls:
// argument checks here, the fd-relative walk in cpp/datatree.cc.
import { DataTreeError, isNativeFailure } from './errors';
import { native } from './loader';
import { ID_MAX, isNormalisedAbsolute } from './validate';

/** Folders below the top a walk descends into; a copy skips deeper ones, a delete moves them up. Bounds open fds. */
export const DATA_TREE_MAX_DEPTH = 128;

/** The app's user and group: every copied entry gets them, whatever the source said. */
export interface DataOwner { uid: number; gid: number }

/** An entry a copy left out (socket, fifo, device, not the app's, changed under the walk, too deep), relative to the top. */
export interface SkippedEntry { path: string; reason: string }

export interface DataTreeOptions {
  /** At most DATA_TREE_MAX_DEPTH (the default); tests pass less. */
  maxDepth?: number;
}

function checkDir(value: unknown, name: string): string {
  if (typeof value !== 'string' || !isNormalisedAbsolute(value)) throw new TypeError(`${name} must be a normalised absolute path other than / (a root-controlled folder)`);
  if (value.includes('\0')) throw new TypeError(`${name} must not contain NUL`);
  return value;
}

function checkName(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..' || value.includes('/') || value.includes('\0')) {
    throw new TypeError(`${name} must be one file name (not empty, '.', '..', and without '/' or NUL)`);
  }
  return value;
}

function checkDepth(opts: DataTreeOptions): number {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('opts must be an object');
  const depth = opts.maxDepth ?? DATA_TREE_MAX_DEPTH;
  if (!Number.isInteger(depth) || depth < 2 || depth > DATA_TREE_MAX_DEPTH) throw new TypeError(`opts.maxDepth must be an integer from 2 to ${DATA_TREE_MAX_DEPTH}`);
  return depth;
}

function checkOwner(owner: unknown): DataOwner {
  if (typeof owner !== 'object' || owner === null) throw new TypeError('owner must be an object {uid, gid}');
  for (const field of ['uid', 'gid'] as const) {
    const id = (owner as DataOwner)[field];
    // Never 0: nothing root-owned is ever handed to an app.
    if (!Number.isInteger(id) || id < 1 || id > ID_MAX) throw new TypeError(`owner.${field} must be an integer from 1 to ${ID_MAX} (an app's own id, never root)`);
  }
  return owner as DataOwner;
}

function rethrow(e: unknown, what: string): never {
  if (!isNativeFailure(e)) throw e;
  const path = e.path ?? '';
  throw new DataTreeError(`${what} failed at ${e.step}${path ? ` on ${path}` : ''}: ${e.description}`, e.step, path, e.errno);
}

/**
 * Copies the folder `from.dir/from.name` to a new folder `to.dir/to.name` (which must not exist),
 * for an app's data on refresh. `from.dir` and `to.dir` must be root-controlled; below them every
 * entry is opened beneath its parent's fd with symlinks refused and judged by fstat of what was
 * opened. Folders, files and symlinks owned by `owner.uid` are copied (files reflinked where the
 * filesystem can), owned by `owner`, setuid/setgid dropped, times kept; anything else is skipped
 * and returned: sockets, fifos, devices, entries not owned by the app (nothing of another user is
 * handed to the app), entries that changed under the walk, folders deeper than maxDepth.
 * The top folder becomes the app's, mode 0700. Throws DataTreeError naming the step and the entry.
 */
export function copyDataTree(from: { dir: string; name: string }, to: { dir: string; name: string }, owner: DataOwner, opts: DataTreeOptions = {}): SkippedEntry[] {
  const srcDir = checkDir(from?.dir, 'from.dir');
  const srcName = checkName(from?.name, 'from.name');
  const dstDir = checkDir(to?.dir, 'to.dir');
  const dstName = checkName(to?.name, 'to.name');
  const { uid, gid } = checkOwner(owner);
  const depth = checkDepth(opts);
  try {
    return native().copyDataTree(srcDir, srcName, dstDir, dstName, uid, gid, depth);
  } catch (e) { rethrow(e, `copying ${srcDir}/${srcName} to ${dstDir}/${dstName}`); }
}

/**
 * Deletes `dir/name` and everything below it without following any symlink (one swapped in is
 * unlinked as a link); an absent name is not an error. `dir` must be root-controlled.
 * Throws DataTreeError naming the step and the entry.
 */
export function removeDataTree(dir: string, name: string, opts: DataTreeOptions = {}): void {
  const parent = checkDir(dir, 'dir');
  const entry = checkName(name, 'name');
  const depth = checkDepth(opts);
  try {
    native().removeDataTree(parent, entry, depth);
  } catch (e) { rethrow(e, `deleting ${parent}/${entry}`); }
}
