import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { removeStaleCgroups, CGROUP_PARENT } from '../src';
import { needsRoot } from './helpers';
import { needsV1, CGROUP_ROOT } from './sandbox';

const skip = needsRoot('makes cgroups') || needsV1();
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

test('removeStaleCgroups removes empty cgroups of dead launchers and keeps live or busy ones', { skip }, async () => {
  const dead = spawnSync('/bin/true').pid!;  // exited and reaped: its pid names no process
  const stale = cgroup(`cgtest.hook.check-health-${dead}-1`);
  const staleApp = cgroup(`cgtest.app-${dead}`);
  const live = cgroup(`cgtest.hook.install-${process.pid}-1`);
  const busy = cgroup(`cgtest.busy-${dead}-2`);
  const sleeper = spawn('/bin/sleep', ['30']);
  try {
    writeFileSync(join(busy, 'cgroup.procs'), String(sleeper.pid));
    const removed = removeStaleCgroups({ version: 1, root: CGROUP_ROOT });
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
