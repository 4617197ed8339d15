// Root-only: timeouts, the environment, and launches that fail at each step (hooks and wrappers: client/test).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as native from '@skiff/native';
import type { LaunchPlan } from '@skiff/native';
import { buildLaunchPlan, PolicyError } from '../src';
import { Fixture, skipReason } from './fixture';

const skip = skipReason();

/** Processes whose parent is this test process (a failed launch must leave none). */
function children(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1] === String(process.pid); } catch { return false; }
  }).map(Number);
}
/**
 * Host mounts where a launch that leaked its own would put them: its staging /tmp and its rows'
 * targets (other tests on this box mount elsewhere at any time, so the whole table is no measure).
 */
const mountsOf = (plan: LaunchPlan): number => {
  const points = new Set(['/tmp', ...plan.mounts.map((r) => r.target)]);
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').filter((l) => points.has(l.split(' ')[4]!)).length;
};
/** Cgroup folders left for a plan, in every controller hierarchy it uses. */
function cgroupLeft(plan: LaunchPlan): string[] {
  const c = plan.cgroup!;
  const dirs = c.version === 2 ? [c.root] : ['memory', 'pids', 'cpu'].map((k) => join(c.root, k));
  return dirs.flatMap((d) => {
    const parent = join(d, c.path, '..');
    const base = c.path.split('/').pop()!;
    return existsSync(parent) ? readdirSync(parent).filter((f) => f.startsWith(base)).map((f) => join(parent, f)) : [];
  });
}

describe('launching', { skip: skip ?? false }, () => {
  const fx = new Fixture();
  before(() => fx.setUp());
  after(() => fx.tearDown());

  test('the environment is built from nothing', async () => {
    const r = await fx.run(fx.ctx('probe'), { app: 'sh' }, ['-c', 'env | sort']);
    const env = r.out.trim().split('\n').filter((l) => !/^(PWD|SHLVL|_)=/.test(l));
    assert.deepEqual(env, ['HOME=/data', 'LANG=C.UTF-8', 'PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'SKIFF_APP=sh', 'SKIFF_COMMON=/common', 'SKIFF_DATA=/data', 'SKIFF_NAME=probe', 'SKIFF_REVISION=1', 'SKIFF_VERSION=1.0', 'TMPDIR=/tmp']);
    assert.equal((await fx.run(fx.ctx('probe'), { app: 'sh' }, ['-c', 'hostname; pwd'])).out, 'probe\n/data\n');
  });

  test('exit codes and arguments come through unchanged', async () => {
    const r = await fx.run(fx.ctx('probe'), { app: 'sh' }, ['-c', 'printf "%s|" "$@"; exit 7', 'sh', 'a b', '', '$HOME']);
    assert.deepEqual([r.status.code, r.out], [7, 'a b||$HOME|']);
  });

  test('a timeout kills the whole sandbox', async () => {
    const t0 = Date.now();
    const r = await fx.run(fx.ctx('probe'), { app: 'sh' }, ['-c', 'sleep 30 & sleep 30'], { timeoutMs: 300 });
    assert.equal(r.status.signal, 'SIGKILL');
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(children(), []);
  });

  describe('a plan that fails at a step names it and leaves nothing behind', () => {
    const failing = (mutate: (p: LaunchPlan) => void): { plan: LaunchPlan; error: unknown } => {
      const plan = buildLaunchPlan(fx.ctx('probe'), { app: 'sh' }, ['-c', 'exit 0']);
      mutate(plan);
      const mounts = mountsOf(plan);
      let error: unknown = null;
      try { native.spawn(plan, { stdio: fx.stdio().stdio }); } catch (e) { error = e; }
      assert.deepEqual(children(), [], 'no process left');
      assert.equal(mountsOf(plan), mounts, 'no mount left');
      assert.deepEqual(cgroupLeft(plan), [], 'no cgroup left');
      return { plan, error };
    };

    test('bad mount source', () => {
      const { error } = failing((p) => { p.mounts.push({ kind: 'bind', source: '/nonexistent/skiff-source', target: '/x', flags: [], reason: 'test' }); });
      assert.ok(error instanceof native.LaunchError, String(error));
      assert.match(error.step, /mount|bind/);
      assert.match(error.message, /\/x|skiff-source/);
    });

    test('bad cgroup', () => {
      const { error } = failing((p) => { p.cgroup!.root = '/nonexistent/cgroup'; });
      assert.ok(error instanceof Error, String(error));
      assert.match(`${(error as native.LaunchError).step} ${error.message}`, /cgroup/);
    });

    test('bad user: uid 0 is refused by policy, an impossible uid by the launcher, before anything starts', () => {
      assert.throws(() => buildLaunchPlan(fx.ctx('probe', { uid: 0 }), { app: 'sh' }), (e) => e instanceof PolicyError && e.field === 'uid');
      const { error } = failing((p) => { p.uid = 4294967295; });
      assert.ok(error instanceof TypeError && /plan\.uid/.test(error.message), String(error));
    });

    test('bad program', () => {
      const { error } = failing((p) => { p.argv[0] = '/app/bin/missing'; });
      assert.ok(error instanceof native.LaunchError, String(error));
      assert.match(error.step, /exec/);
    });
  });
});
