import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { removeEmptyCgroups } from '@skiff/native';
import { staleLaunchCgroups, CGROUP_PARENT } from '../src';

// Recovery's clean-up as the device runs it: confinement names the stale folders, native removes the empty ones.
const CGROUP_ROOT = '/sys/fs/cgroup';
const skip = process.getuid?.() !== 0 ? 'needs root: makes cgroups'
  : existsSync(join(CGROUP_ROOT, 'pids', 'cgroup.procs')) ? false : 'needs the cgroup v1 pids hierarchy';
const made: string[] = [];

/** A cgroup folder in the v1 pids hierarchy, as a launcher named it. */
function cgroup(name: string): string {
  const dir = join(CGROUP_ROOT, 'pids', CGROUP_PARENT, name);
  mkdirSync(dir, { recursive: true });
  made.push(dir);
  return dir;
}

after(() => {
  for (const dir of made) try { rmdirSync(dir); } catch { /* removed by the test */ }
});

test('stale launch cgroups (dead launchers) are removed when empty; live or busy ones are kept', { skip }, async () => {
  const dead = spawnSync('/bin/true').pid!;  // exited and reaped: its pid names no process
  const stale = cgroup(`cgtest.hook.check-health-${dead}-1`);
  const staleApp = cgroup(`cgtest.app-${dead}`);
  const live = cgroup(`cgtest.hook.install-${process.pid}-1`);
  const busy = cgroup(`cgtest.busy-${dead}-2`);
  const sleeper = spawn('/bin/sleep', ['30']);
  try {
    writeFileSync(join(busy, 'cgroup.procs'), String(sleeper.pid));
    const stale1 = staleLaunchCgroups({ version: 1, root: CGROUP_ROOT });
    assert.ok(!stale1.includes(live), 'a name ending in a live pid is not stale');
    const removed = removeEmptyCgroups(stale1);
    assert.ok(removed.includes(stale) && removed.includes(staleApp), `removed: ${removed.join(', ')}`);
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(staleApp), false);
    assert.equal(existsSync(live), true, 'a live launcher may still be filling its cgroup');
    assert.equal(existsSync(busy), true, 'a cgroup with processes in it is kept');
  } finally {
    writeFileSync(join(CGROUP_ROOT, 'pids', 'cgroup.procs'), String(sleeper.pid));
    sleeper.kill('SIGKILL');
  }
});
