import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freezeCgroup, thawCgroup } from '../src';
import { needsRoot } from './helpers';
import { CGROUP_ROOT, v2Root } from './sandbox';

const skip = needsRoot('makes cgroups');
const made: string[] = [];
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const dir of made.reverse()) {
    try { writeFileSync(join(dir, existsSync(join(dir, 'cgroup.freeze')) ? 'cgroup.freeze' : 'freezer.state'), existsSync(join(dir, 'cgroup.freeze')) ? '0' : 'THAWED'); } catch { /* gone */ }
  }
});

async function removeWhenEmpty(dir: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try { rmdirSync(dir); return; } catch { await new Promise((r) => setTimeout(r, 10)); }
  }
}

/** A cgroup named for this test with a busy shell loop in it. */
function cgroupWithLoop(parent: string): { dir: string; child: ChildProcess } {
  const dir = join(parent, `skiff-freezer-test-${process.pid}-${made.length}`);
  mkdirSync(dir);
  made.push(dir);
  const child = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  children.push(child);
  writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
  return { dir, child };
}

const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};

async function assertStopped(pid: number): Promise<void> {
  const before = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(cpuTicks(pid), before, 'a frozen busy loop uses no CPU');
}

for (const version of [1, 2] as const) {
  const parent = version === 1 ? join(CGROUP_ROOT, 'freezer') : v2Root();
  const why = skip || (parent && existsSync(join(parent, 'cgroup.procs')) ? false : `no cgroup v${version} freezer here`);
  test(`freezeCgroup stops every process of a v${version} cgroup until thawCgroup`, { skip: why }, async () => {
    const { dir, child } = cgroupWithLoop(parent!);
    await freezeCgroup(dir);
    if (version === 1) assert.equal(readFileSync(join(dir, 'freezer.state'), 'utf8').trim(), 'FROZEN');
    else assert.match(readFileSync(join(dir, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
    await assertStopped(child.pid!);
    thawCgroup(dir);
    const before = cpuTicks(child.pid!);
    for (let i = 0; i < 200 && cpuTicks(child.pid!) === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.notEqual(cpuTicks(child.pid!), before, 'thawed, it runs again');
    child.kill('SIGKILL');
    await removeWhenEmpty(dir);
    await freezeCgroup(dir);  // a cgroup gone with its processes is nothing to freeze
    thawCgroup(dir);
  });
}

test('freezeCgroup refuses a relative path and a bad timeout', async () => {
  await assert.rejects(freezeCgroup('sys/fs/cgroup/x'), TypeError);
  await assert.rejects(freezeCgroup('/sys/fs/cgroup/x', 0), /timeoutMs must be a positive integer/);
});
