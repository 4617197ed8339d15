// Reading a service's log (written by its shim): the last lines, and following new ones.
import { closeSync, openSync, readFileSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/** Most lines `skiff logs -n` shows. */
export const LOG_MAX_LINES = 10_000;

/** The last n lines of the log folder: current, then the rotated files before it as needed. */
export function lastLogLines(dir: string, n: number): string[] {
  const lines: string[] = [];
  for (let i = 0; lines.length < n; i++) {
    let text: string;
    try { text = readFileSync(join(dir, i === 0 ? 'current' : `current.${i}`), 'utf8'); } catch { break; }
    const mine = text.split('\n');
    if (mine.at(-1) === '') mine.pop();
    lines.unshift(...mine.slice(Math.max(0, mine.length - (n - lines.length))));
  }
  return lines;
}

/** Calls line() with each line appended to `current` from now on (inotify, not polling); returns the stop function. */
export function followLog(dir: string, line: (text: string) => void): () => void {
  const file = join(dir, 'current');
  let offset = sizeOf(file);
  let partial = '';
  const readNew = () => {
    const size = sizeOf(file);
    if (size < offset) offset = 0;  // rotated: a new current
    if (size === offset) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const parts = (partial + buf.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) line(p);
    } finally {
      closeSync(fd);
    }
  };
  const watcher: FSWatcher = watch(dir, () => { try { readNew(); } catch { /* rotated under us: next event */ } });
  return () => watcher.close();
}

function sizeOf(file: string): number {
  try { return statSync(file).size; } catch { return 0; }
}
