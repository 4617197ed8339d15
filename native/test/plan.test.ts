import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LaunchPlan } from '../src';

test('a launch plan is plain JSON and survives a round trip', () => {
  const plan: LaunchPlan = {
    argv: ['/bin/true'], env: ['PATH=/usr/bin:/bin'], cwd: '/', hostname: 'hello',
    namespaces: ['mount', 'pid'], mounts: [{ kind: 'tmpfs', source: '', target: '/tmp', flags: ['nosuid'], reason: 'private /tmp' }],
    uid: 600000, gid: 600000, cgroup: null, seccomp: null,
  };
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
});
