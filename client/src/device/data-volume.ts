// App data volumes: each app's writable data (<root>/var/skiff/<name>: every revision's data and
// `common`) is its own ext4 filesystem in a sparse image, so the kernel caps what the app can write.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, statSync, statfsSync, truncateSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as native from '@skiff/native';
import { fsyncDir, parseSize } from '@skiff/bundle';
import type { Device } from './device';
import { DATA_MAX_SIZE } from './config';
import { ConfigError, DataVolumeError, DataVolumeFullError } from './errors';
import { rmrf } from './fsutil';

/** Milliseconds mkfs.ext4 or resize2fs may take before the task fails (both take tens of ms). */
export const VOLUME_TOOL_TIMEOUT_MS = 60_000;
/** The folder, at the top of a volume, where `remove` keeps the current revision's data for a reinstall. */
export const KEPT_DATA = 'kept';

/**
 * mkfs.ext4 options. The journal stays: app data wants crash safety. `-m 0`: no blocks reserved for
 * root, the limit is all the app's. `-b 4096`: mountable through a direct-I/O loop device on disks of
 * 4K sectors too. assume_storage_prezeroed: a new sparse file reads as zeros, so neither mkfs nor the
 * kernel's lazy init writes the journal or inode tables (the image stays sparse).
 */
const MKFS_OPTIONS = ['-q', '-t', 'ext4', '-b', '4096', '-m', '0', '-E', 'assume_storage_prezeroed=1'];

const errno = (e: unknown): string | number | undefined => (e as { code?: string; errno?: number } | null)?.code ?? (e as { errno?: number } | null)?.errno;

/** Bytes of each app's data volume, from the device setting. */
export function volumeBytes(device: Device): number { return parseSize(device.state.configGet(DATA_MAX_SIZE)!); }

/** A size as people write it (1G, 512M), for messages. */
export function formatSize(bytes: number): string {
  for (const [unit, n] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) if (bytes % n === 0) return `${bytes / n}${unit}`;
  return `${bytes} bytes`;
}

/** Makes a sparse image of `bytes` holding an empty ext4, under a temporary name renamed into place. */
export function createVolume(image: string, bytes: number): void {
  const tmp = `${image}.new`;
  mkdirSync(dirname(image), { recursive: true, mode: 0o700 });
  rmrf(tmp); // a crash during mkfs leaves it behind
  const fd = openSync(tmp, 'wx', 0o600);
  try { ftruncateSync(fd, bytes); } finally { closeSync(fd); }
  runTool('mkfs.ext4', [...MKFS_OPTIONS, tmp], image);
  renameSync(tmp, image);
  fsyncDir(dirname(image));
}

/** Loop devices whose backing file is image (a volume still attached, e.g. lazily unmounted while busy). */
export function loopDevicesOf(image: string): string[] {
  let real: string;
  try { real = realpathSync(image); } catch { return []; }
  const found: string[] = [];
  for (const dev of readdirSync('/sys/block').filter((d) => d.startsWith('loop'))) {
    try {
      if (readFileSync(join('/sys/block', dev, 'loop/backing_file'), 'utf8').trim() === real) found.push(`/dev/${dev}`);
    } catch { /* not attached */ }
  }
  return found;
}

/**
 * Mounts the volume at dir (rw,nosuid,nodev) unless it is mounted, first growing it offline to `bytes`
 * when given; its top folder is root's, 0700.
 */
export function mountVolumeAt(image: string, dir: string, bytes?: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!native.isMounted(dir)) {
    // Two mounts of one ext4 would corrupt it: refuse while an earlier mount still holds the image.
    const busy = loopDevicesOf(image);
    if (busy.length) throw new DataVolumeError(`the data volume ${image} is still in use (${busy.join(', ')}): a process of the app may still run`, image);
    if (bytes !== undefined) growVolume(image, dir, bytes);
    native.mountVolume(image, dir);
  }
  chownSync(dir, 0, 0);
  chmodSync(dir, 0o700); // the app reaches only the folders bound into its sandbox, never the top
}

/** Unmounts the volume at dir (detaching it lazily while a process still uses it) and removes the mount point. */
export function unmountVolumeAt(dir: string): void {
  if (native.isMounted(dir)) {
    try { native.unmount(dir); } catch (e) {
      if ((e as { errno?: number }).errno !== 16 /* EBUSY */) throw e;
      native.unmount(dir, { lazy: true });
    }
  }
  try { rmdirSync(dir); } catch (e) { if (errno(e) !== 'ENOENT') throw e; }
}

/** Deletes a volume's image (and a half-made one): no file inside it is walked. */
export function deleteVolume(image: string): void {
  rmrf(`${image}.new`);
  rmrf(image);
  if (existsSync(dirname(image))) fsyncDir(dirname(image));
}

/**
 * Grows a volume to `bytes`: offline (e2fsck, then resize2fs extends the image) when it is not mounted,
 * online when it is (a longer image, the loop device told, resize2fs). A refused online resize (the
 * kernel wants CAP_SYS_RESOURCE) puts the image back as it was and throws; the next mount grows it.
 */
export function growVolume(image: string, dir: string, bytes: number): void {
  const size = statSync(image).size;
  if (size >= bytes) return;
  const mount = native.findMount(dir);
  if (!mount) {
    runTool('e2fsck', ['-fp', image], image, [0, 1]); // 1: errors fixed, which resize2fs needs first
    runTool('resize2fs', [image, `${bytes / 1024}K`], image);
    return;
  }
  truncateSync(image, bytes);
  try {
    native.refreshLoopCapacity(mount.source);
    runTool('resize2fs', [mount.source], image);
  } catch (e) {
    truncateSync(image, size);
    try { native.refreshLoopCapacity(mount.source); } catch { /* the filesystem never used the new blocks */ }
    throw e;
  }
}

/** The size of every data volume on the device (installed apps and kept ones), by app name. */
export function volumeSizes(device: Device): Map<string, number> {
  const dir = device.paths.volumesDir;
  const names = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.img')).map((f) => f.slice(0, -4)) : [];
  return new Map(names.map((n) => [n, statSync(device.paths.volumeImage(n)).size]));
}

/** Bytes of an app's mounted data volume and bytes in use (ext4's own metadata included), or null without one. */
export function volumeUsage(device: Device, name: string): { size: number; used: number } | null {
  const dir = device.paths.appDataDir(name);
  if (!existsSync(device.paths.volumeImage(name)) || !native.isMounted(dir)) return null;
  const fs = statfsSync(dir);
  return { size: statSync(device.paths.volumeImage(name)).size, used: (fs.blocks - fs.bfree) * fs.bsize };
}

/** Refuses a data.max-size below a volume already made: ext4 cannot shrink online, nor keep the app's data if it did. */
export function checkNoShrink(device: Device, bytes: number): void {
  const larger = [...volumeSizes(device)].filter(([, size]) => size > bytes).map(([n, size]) => `${n}: ${formatSize(size)}`);
  if (larger.length) {
    throw new ConfigError(`${DATA_MAX_SIZE} cannot go below the data volumes already made (${larger.join(', ')}); volumes grow but never shrink`, DATA_MAX_SIZE);
  }
}

/** Grows every mounted volume to `bytes`; returns a note for each that grows only at its next mount. */
export function growMountedVolumes(device: Device, bytes: number): string[] {
  const notes: string[] = [];
  for (const name of volumeSizes(device).keys()) {
    const dir = device.paths.appDataDir(name);
    if (!native.isMounted(dir)) continue; // a kept volume grows when a reinstall mounts it
    try { growVolume(device.paths.volumeImage(name), dir, bytes); } catch (e) {
      notes.push(`the data volume of ${name} grows at its next mount (boot or reinstall): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return notes;
}

/** The error to show for err: a clear one when the app's data volume is full, err itself otherwise. */
export function explainNoSpace(device: Device, name: string, err: unknown): unknown {
  // Node's fs errors carry code 'ENOSPC'; the native data-tree copy carries errno 28.
  const codes = [errno(err), (err as { errno?: number } | null)?.errno];
  const full = codes.some((c) => c === 'ENOSPC' || c === 28 || c === -28);
  if (!full || !existsSync(device.paths.volumeImage(name))) return err;
  return new DataVolumeFullError(name, formatSize(statSync(device.paths.volumeImage(name)).size), DATA_MAX_SIZE);
}

function runTool(tool: string, args: string[], image: string, okStatus: number[] = [0]): void {
  try {
    execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: VOLUME_TOOL_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C', PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
  } catch (e) {
    if (okStatus.includes((e as { status?: number }).status ?? -1)) return;
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim().split('\n').pop() ?? '';
    const why = errno(e) === 'ENOENT' ? `${tool} is not installed (Debian: apt-get install e2fsprogs)` : `${tool} failed: ${stderr || String(e)}`;
    throw new DataVolumeError(`data volume ${image}: ${why}`, image);
  }
}
