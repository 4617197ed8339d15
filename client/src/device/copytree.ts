import { chownSync, constants, copyFileSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, utimesSync, chmodSync, lutimesSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Copies a data folder keeping owners, modes and times, reflinking files where the filesystem can
 * (COPYFILE_FICLONE falls back to a copy). In-process on purpose: a `cp` child would outlive a
 * SIGKILLed skiff and keep writing while recovery deletes its half-made copy.
 * Returns the paths it skipped (sockets, fifos, devices: nothing an app can carry across revisions).
 */
export function copyTree(src: string, dest: string): string[] {
  const skipped: string[] = [];
  const walk = (from: string, to: string): void => {
    const st = lstatSync(from);
    if (st.isDirectory()) {
      mkdirSync(to, { mode: st.mode & 0o7777 });
      for (const entry of readdirSync(from)) walk(join(from, entry), join(to, entry));
      chmodSync(to, st.mode & 0o7777);
      chownSync(to, st.uid, st.gid);
      utimesSync(to, st.atimeMs / 1000, st.mtimeMs / 1000);
    } else if (st.isFile()) {
      copyFileSync(from, to, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
      chownSync(to, st.uid, st.gid);
      chmodSync(to, st.mode & 0o7777); // after chown, which clears setuid bits
      utimesSync(to, st.atimeMs / 1000, st.mtimeMs / 1000);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
      lchownSync(to, st.uid, st.gid);
      lutimesSync(to, st.atimeMs / 1000, st.mtimeMs / 1000);
    } else {
      skipped.push(from);
    }
  };
  walk(src, dest);
  return skipped;
}
