import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '@skiff/bundle';
import { launcherPath, type LaunchPlan } from '@skiff/native';
import type { AppContext } from '@skiff/confinement';
import { writeWrappers, removeWrappers } from '../src/device/wrappers';

const launcher = (() => { try { return launcherPath(); } catch { return null; } })();
const manifest: Manifest = { name: 'hello', version: '1', summary: 's',
  apps: { hello: { command: 'bin/hello' }, report: { command: 'bin/report' } } };
const ctx = (root: string, m: Manifest = manifest): AppContext =>
  ({ root, name: 'hello', revision: 4, version: '1', manifest: m, uid: 20001, gid: 20001, grants: [], devmode: false });

test('wrappers: one plan per app, scripts exec skiff-launch, stale ones go, neighbours stay', { skip: launcher ? false : 'skiff-launch is not built' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-wrappers-'));
  try {
    const bin = join(root, 'skiff', 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'hello-world'), 'another app\n');
    const written = writeWrappers(ctx(root));
    assert.deepEqual(written.sort(), [join(bin, 'hello'), join(bin, 'hello.hello'), join(bin, 'hello.report')]);
    const plan = join(root, 'var', 'lib', 'skiff', 'plans', 'hello.report.json');
    assert.equal(readFileSync(join(bin, 'hello.report'), 'utf8'), `#!/bin/sh\nexec '${launcher}' '${plan}' "$@"\n`);
    assert.equal(statSync(join(bin, 'hello.report')).mode & 0o777, 0o755);
    assert.equal(statSync(plan).mode & 0o777, 0o644);
    const saved = JSON.parse(readFileSync(plan, 'utf8')) as LaunchPlan;
    assert.deepEqual(saved.argv, ['/app/bin/report']);
    assert.equal(saved.cgroup?.path, 'skiff/hello.report', 'the launcher makes it unique per run');
    // A new revision without `report`: its wrapper and plan go.
    writeWrappers(ctx(root, { ...manifest, apps: { hello: { command: 'bin/hello' } } }));
    assert.deepEqual(readdirSync(bin).sort(), ['hello', 'hello-world', 'hello.hello']);
    assert.deepEqual(readdirSync(join(root, 'var', 'lib', 'skiff', 'plans')), ['hello.hello.json']);
    removeWrappers(root, 'hello');
    assert.deepEqual(readdirSync(bin), ['hello-world']);
    assert.deepEqual(readdirSync(join(root, 'var', 'lib', 'skiff', 'plans')), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
