// Freezing the processes of one cgroup while root works on their data: v2 cgroup.freeze, v1 freezer.state.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FreezeError } from './errors';
import { isNormalisedAbsolute } from './validate';

/** How long a freeze may take to settle before it fails (milliseconds). */
export const FREEZE_TIMEOUT_MS = 5000;
/** How often the state is read while a freeze settles (milliseconds). */
const FREEZE_POLL_MS = 2;

function checkCgroup(dir: unknown): string {
  if (typeof dir !== 'string' || !isNormalisedAbsolute(dir) || dir.includes('\0')) throw new TypeError('cgroup must be the normalised absolute path of a cgroup folder');
  return dir;
}

const isV2 = (dir: string): boolean => existsSync(join(dir, 'cgroup.freeze'));

// A cgroup removed under us held no process any more: nothing is left to freeze or thaw.
const gone = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENODEV';

function isFrozen(dir: string, v2: boolean): boolean {
  return v2 ? /^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8')) : readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN';
}

/**
 * Freezes every process of the cgroup folder `dir` and resolves once the kernel says they all are
 * (v2: `frozen 1` in cgroup.events; v1: freezer.state reads FROZEN). A cgroup that vanished is not
 * an error. Throws FreezeError when the state does not settle within timeoutMs.
 */
export async function freezeCgroup(dir: string, timeoutMs = FREEZE_TIMEOUT_MS): Promise<void> {
  checkCgroup(dir);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError('timeoutMs must be a positive integer (milliseconds)');
  const v2 = isV2(dir);
  try {
    if (v2) writeFileSync(join(dir, 'cgroup.freeze'), '1');
    else writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
    for (const deadline = Date.now() + timeoutMs; !isFrozen(dir, v2);) {
      if (Date.now() > deadline) throw new FreezeError(`cgroup ${dir} did not freeze within ${timeoutMs} ms`, dir);
      await sleep(FREEZE_POLL_MS);
      // v1 may stay FREEZING while a task sleeps uninterruptibly: asking again retries it.
      if (!v2) writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
    }
  } catch (e) {
    if (gone(e)) return;
    if (e instanceof FreezeError) throw e;
    throw new FreezeError(`freezing cgroup ${dir}: ${(e as Error).message}`, dir, (e as NodeJS.ErrnoException).errno ?? 0);
  }
}

/** Lets the processes of `dir` run again; a cgroup that vanished is not an error. */
export function thawCgroup(dir: string): void {
  checkCgroup(dir);
  try {
    if (isV2(dir)) writeFileSync(join(dir, 'cgroup.freeze'), '0');
    else writeFileSync(join(dir, 'freezer.state'), 'THAWED');
  } catch (e) {
    if (gone(e)) return;
    throw new FreezeError(`thawing cgroup ${dir}: ${(e as Error).message}`, dir, (e as NodeJS.ErrnoException).errno ?? 0);
  }
}
