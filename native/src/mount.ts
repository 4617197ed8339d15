// Loop mounts of bundles (squashfs, ro) and app data volumes (ext4, rw): argument checks here, the syscalls in cpp/mount.cc.
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { constants } from 'node:os';
import { MountError, isNativeFailure } from './errors';
import { native } from './loader';
import { NotRootError } from '@skiff/bundle/errors';

const EBUSY = constants.errno.EBUSY;

function checkPath(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${name} must be a non-empty string`);
  if (value.includes('\0')) throw new TypeError(`${name} must not contain NUL`);
  return value;
}

function requireRoot(what: string, target: string): void {
  if (process.getuid?.() !== 0) throw new NotRootError(`${what} ${target}`, 'mounts are root-only for now');
}

function rethrow(e: unknown, what: string, target: string): never {
  if (isNativeFailure(e)) throw new MountError(`${what} ${target} failed at ${e.step}: ${e.description}`, target, e.errno);
  throw e;
}

/**
 * Loop-mounts a squashfs file read-only (ro,nosuid,nodev) at an existing folder. A target that is
 * already a mount point is refused (MountError, errno EBUSY): mounts never stack silently, so a
 * task redone after a crash checks isMounted() first.
 */
export function mountBundle(file: string, target: string): void {
  loopMount('bundle', file, target, (f, t) => native().mountBundle(f, t));
}

/**
 * Loop-mounts an ext4 image read-write (rw,nosuid,nodev) at an existing folder; unmount frees the
 * loop device (autoclear). Refuses a target that is already a mount point, as mountBundle does.
 */
export function mountVolume(file: string, target: string): void {
  loopMount('volume', file, target, (f, t) => native().mountVolume(f, t));
}

/** The checks both loop mounts make before the addon mounts: arguments, root, no stacking. */
function loopMount(what: 'bundle' | 'volume', file: string, target: string, mount: (file: string, target: string) => void): void {
  checkPath(file, 'file');
  checkPath(target, 'target');
  requireRoot(what === 'bundle' ? 'mountBundle' : 'mountVolume', target);
  if (isMounted(target)) throw new MountError(`mounting ${what} at ${target} refused: it is already a mount point`, target, EBUSY);
  try { mount(resolve(file), resolve(target)); } catch (e) { rethrow(e, `mounting ${what} at`, target); }
}

/** Makes a loop device (e.g. /dev/loop3) see the new size of its grown backing file (LOOP_SET_CAPACITY). */
export function refreshLoopCapacity(device: string): void {
  checkPath(device, 'device');
  if (!/^\/dev\/loop\d+$/.test(device)) throw new TypeError(`device must be a loop device like /dev/loop3, not "${device}"`);
  requireRoot('refreshLoopCapacity', device);
  try { native().refreshLoopCapacity(device); } catch (e) { rethrow(e, 'resizing', device); }
}

/** Unmounts target; `lazy` detaches it (MNT_DETACH). The loop device is freed by autoclear. */
export function unmount(target: string, opts: { lazy?: boolean } = {}): void {
  checkPath(target, 'target');
  if (typeof opts !== 'object' || opts === null) throw new TypeError('opts must be an object');
  if (opts.lazy !== undefined && typeof opts.lazy !== 'boolean') throw new TypeError('opts.lazy must be a boolean');
  requireRoot('unmount', target);
  try { native().unmount(resolve(target), opts.lazy ?? false); } catch (e) { rethrow(e, 'unmounting', target); }
}

/** One line of /proc/self/mountinfo, decoded. */
export interface MountInfo {
  mountPoint: string;
  /** Per-mount options, e.g. ['ro', 'nosuid', 'nodev', 'relatime']. */
  options: string[];
  fsType: string;
  /** The mounted device or source, e.g. '/dev/loop3'. */
  source: string;
  /** Per-superblock options, e.g. ['rw', 'memory'] for a cgroup v1 controller. */
  superOptions: string[];
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The lines of a mountinfo text (proc(5)), in order: later lines are mounted on top of earlier ones. */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 6 || right.length < 3) continue;
    out.push({ mountPoint: unescape(left[4]!), options: left[5]!.split(','), fsType: right[0]!, source: unescape(right[1]!), superOptions: right[2]!.split(',') });
  }
  return out;
}

/** The topmost mount at target (read from /proc/self/mountinfo), or null when target is not a mount point. */
export function findMount(target: string): MountInfo | null {
  checkPath(target, 'target');
  let path = resolve(target);
  try { path = realpathSync(path); } catch { /* a missing path is simply not mounted */ }
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.mountPoint === path).at(-1) ?? null;
}

/** True when target is a mount point (read from /proc/self/mountinfo). */
export function isMounted(target: string): boolean {
  return findMount(target) !== null;
}
