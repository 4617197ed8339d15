// Hooks and wrappers, run and written by the device from confinement's plans (root-only but the first).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '@skiff/bundle';
import type { LaunchPlan } from '@skiff/native';
import { planPath, type AppContext } from '@skiff/confinement';
import { Fixture, skipReason } from '@skiff/confinement/dist/test/fixture';
import { runHook } from '../src/device/run';
import { writeWrappers, removeWrappers } from '../src/device/wrappers';

const skip = skipReason();

test('runHook resolves null when the bundle has no such hook, without starting anything', async () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-hook-'));
  try {
    mkdirSync(join(root, 'skiff', 'hello', '2', 'meta', 'hooks'), { recursive: true });
    writeFileSync(join(root, 'skiff', 'hello', '2', 'meta', 'hooks', 'install'), '#!/bin/sh\n');
    const m: Manifest = { name: 'hello', version: '1', summary: 's', apps: { hello: { command: 'hello' } } };
    const ctx: AppContext = { root, name: 'hello', revision: 2, version: '1', manifest: m, uid: 1000, gid: 1000, grants: [], devmode: false };
    assert.equal(await runHook(ctx, 'check-health'), null);
    // The hook that exists is attempted (and reaches the launcher, native or not).
    await assert.rejects(runHook(ctx, 'install', { timeoutMs: 5000 }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('hooks and wrappers', { skip: skip ?? false }, () => {
  const fx = new Fixture();
  before(() => fx.setUp());
  after(() => fx.tearDown());

  test('hooks run through the same code, and a missing hook is null', async () => {
    const r = await runHook(fx.ctx('probe'), 'check-health');
    assert.deepEqual(r, { status: { code: 3, signal: null }, output: { lines: [{ stream: 'stdout', text: 'healthy probe 1' }], droppedBytes: 0 } });
    assert.equal(await runHook(fx.ctx('probe'), 'install'), null);
  });

  test('wrappers exec skiff-launch on a saved plan: args, stdio and exit code pass through', () => {
    const written = writeWrappers(fx.ctx('probe'));
    const bin = join(fx.root, 'skiff', 'bin');
    assert.deepEqual(written.sort(), [join(bin, 'probe'), join(bin, 'probe.probe'), join(bin, 'probe.sh')]);
    const plan = planPath(fx.root, 'probe', 'sh');
    assert.equal(statSync(plan).mode & 0o777, 0o644);
    assert.equal((JSON.parse(readFileSync(plan, 'utf8')) as LaunchPlan).argv[0], '/app/bin/shell');
    const r = spawnSync(join(bin, 'probe.sh'), ['-c', 'read x; echo "got $x $1 $SKIFF_NAME"; exit 5', 'sh', 'arg'], { input: 'line\n', encoding: 'utf8' });
    assert.deepEqual([r.status, r.stdout], [5, 'got line arg probe\n'], r.stderr);
    removeWrappers(fx.root, 'probe');
    assert.deepEqual(readdirSync(bin), []);
    assert.ok(!existsSync(plan));
  });

  // A saved plan names one cgroup path; appendPid makes the launcher add the child's pid to it.
  test('two runs of one wrapper at the same time both work', async () => {
    writeWrappers(fx.ctx('probe'));
    const wrapper = join(fx.root, 'skiff', 'bin', 'probe.sh');
    const first = spawn(wrapper, ['-c', 'sleep 0.5; echo first'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise((r) => setTimeout(r, 150));
    const second = spawnSync(wrapper, ['-c', 'echo second'], { encoding: 'utf8' });
    const firstOut = await new Promise<string>((resolve) => { let o = ''; first.stdout.on('data', (d: Buffer) => { o += d; }); first.on('close', () => resolve(o)); });
    removeWrappers(fx.root, 'probe');
    assert.deepEqual([second.status, second.stdout, second.stderr], [0, 'second\n', '']);
    assert.equal(firstOut, 'first\n');
  });

});
