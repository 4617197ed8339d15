import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { launcherPath } from '../src';
import { needsRoot } from './helpers';
import { APP_ID } from './sandbox';

// Run as root, these tests drop to an unprivileged uid in a child process to see what a user gets.
const skip = needsRoot('switching to an unprivileged uid to test the refusal');

test('without root, the API says so clearly instead of failing at a syscall', { skip }, () => {
  const index = join(__dirname, '..', 'src', 'index.js');
  const script = `
    const n = require(${JSON.stringify(index)});
    const plan = { argv: ['/bin/true'], env: [], cwd: '/', hostname: '', namespaces: ['mount'], mounts: [], uid: 0, gid: 0, cgroup: null, seccomp: null };
    for (const call of [() => n.mountBundle('/x.skiff', '/mnt'), () => n.unmount('/mnt'), () => n.spawn(plan)]) {
      try { call(); console.log('no error'); } catch (e) { console.log(e.constructor.name, e.code, e.step ?? '-', e.message); }
    }`;
  const r = spawnSync(process.execPath, ['-e', script], { uid: APP_ID, gid: APP_ID, encoding: 'utf8', cwd: '/' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  // One error for one cause, wherever it is met: NotRootError, code not-root.
  assert.equal(lines[0], 'NotRootError not-root - mountBundle /mnt needs root: mounts are root-only for now');
  assert.equal(lines[1], 'NotRootError not-root - unmount /mnt needs root: mounts are root-only for now');
  assert.equal(lines[2], 'NotRootError not-root - a confined launch needs root: namespaces, mounts and cgroups are root-only for now');
});

test('without root, skiff-launch prints one line and exits 125', { skip }, () => {
  const r = spawnSync(launcherPath(), ['/nonexistent/plan.json'], { uid: APP_ID, gid: APP_ID, encoding: 'utf8', cwd: '/' });
  assert.equal(r.status, 125);
  assert.equal(r.stderr, 'skiff-launch: needs root: confined launches are root-only for now\n');
});
