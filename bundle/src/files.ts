import { closeSync, fsyncSync, openSync, renameSync, writeSync, unlinkSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes a file so that readers see either the old or the new content, even after a power cut:
 * a temporary file in the same folder, fsync, rename over the target, fsync of the folder.
 */
export interface AtomicWriteOptions {
  mode?: number;
  /** fsync the file before the rename (default true); false only where the caller syncs the filesystem itself. */
  fsyncFile?: boolean;
  /** fsync the folder after the rename (default true); a caller writing many files may sync the folder once. */
  fsyncFolder?: boolean;
  /** Mode of the folders created on the way (default 0755; 0700 for folders that hold secrets). */
  dirMode?: number;
}

export function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions | number = {}): void {
  const { mode = 0o644, fsyncFile = true, fsyncFolder = true, dirMode = 0o755 } = typeof opts === 'number' ? { mode: opts } : opts;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: dirMode });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (fsyncFile) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (fsyncFolder) fsyncDir(dir);
}

/** fsync a folder so that a rename or unlink in it survives a power cut. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
