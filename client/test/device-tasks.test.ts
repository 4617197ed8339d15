// The real task kinds of install and refresh, driven by the real runner over real mounts, with a
// backend that records every mechanism call and fails the one it is told to: the exact sequence of
// do and undo operations is asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { packBundle } from '@skiff/bundle';
import { isMounted, unmount } from '@skiff/native';
import { openDevice } from '../src/device';
import { DeviceOps } from '../src/device/ops';
import { realBackend, type Backend } from '../src/device/env';

const skip = process.getuid?.() === 0 ? false : 'needs root: real loop mounts';

/** Wraps the real backend: logs each call as "op rev", and throws at the call named by failAt. */
function recordingBackend(log: string[], failAt: () => string | null): Backend {
  const rev = (dir: string): string => basename(dir);
  const step = (entry: string): void => {
    log.push(entry);
    if (failAt() === entry) throw new Error(`${entry} failed (told to)`);
  };
  return {
    ...realBackend,
    mountBundle: (file, target) => { step(`mount ${rev(target)}`); realBackend.mountBundle(file, target); },
    unmount: (target) => { step(`unmount ${rev(target)}`); realBackend.unmount(target); },
    writeWrappers: (ctx) => { step(`wrappers ${ctx.revision}`); realBackend.writeWrappers(ctx); },
    removeWrappers: (root, name) => { step('unwrap'); realBackend.removeWrappers(root, name); },
    runHook: async (ctx, hook) => { step(`${hook} ${ctx.revision}`); return realBackend.runHook(ctx, hook); },
  };
}

async function pack(work: string, version: string): Promise<string> {
  const dir = join(work, `src-${version}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'meta/hooks'), { recursive: true });
  writeFileSync(join(dir, 'meta/app.yaml'), `name: seq\nversion: '${version}'\nsummary: s\napps:\n  seq:\n    command: bin/seq\n` +
    'hooks:\n  install: {}\n  pre-refresh: {}\n  post-refresh: {}\n  check-health: {}\n');
  for (const f of ['bin/seq', 'meta/hooks/install', 'meta/hooks/pre-refresh', 'meta/hooks/post-refresh', 'meta/hooks/check-health']) {
    writeFileSync(join(dir, f), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, f), 0o755);
  }
  mkdirSync(join(work, `out-${version}`));
  return (await packBundle(dir, join(work, `out-${version}`))).path;
}

test('install and refresh: exact mechanism sequences, and the undo of each failing step', { skip }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'skiff-tasks-'));
  const root = join(work, 'root');
  const device = openDevice(root);
  const log: string[] = [];
  let failAt: string | null = null;
  const ops = new DeviceOps(device, { backend: recordingBackend(log, () => failAt), progress: false });
  try {
    const b1 = await pack(work, '1');
    const b2 = await pack(work, '2');
    const { revision: r1 } = await ops.installDangerous(b1);
    assert.deepEqual(log, [`mount ${r1}`, `wrappers ${r1}`, `install ${r1}`, `check-health ${r1}`]);
    const r2 = r1 + 1;

    const refreshOk = [`mount ${r2}`, `pre-refresh ${r1}`, `wrappers ${r2}`, `post-refresh ${r2}`, `check-health ${r2}`];
    // Each failing step undoes exactly what was done before it, in reverse.
    const cases: [string, string[]][] = [
      [`mount ${r2}`, [`mount ${r2}`]],
      [`pre-refresh ${r1}`, [`mount ${r2}`, `pre-refresh ${r1}`, `unmount ${r2}`]],
      [`wrappers ${r2}`, [`mount ${r2}`, `pre-refresh ${r1}`, `wrappers ${r2}`, `wrappers ${r1}`, `unmount ${r2}`]],
      [`check-health ${r2}`, [...refreshOk, `wrappers ${r1}`, `unmount ${r2}`]],
    ];
    for (const [at, expected] of cases) {
      log.length = 0;
      failAt = at;
      await assert.rejects(ops.installDangerous(b2), { code: 'change-failed' }, at);
      assert.deepEqual(log, expected, `failing at ${at}`);
      assert.equal(readlinkSync(device.paths.currentLink('seq')), String(r1), at);
      assert.deepEqual(readdirSync(device.paths.appDir('seq')).sort(), [String(r1), 'current'], at);
      // lost+found: made by mkfs at the top of the app's data volume.
      assert.deepEqual(readdirSync(device.paths.appDataDir('seq')).sort(), [String(r1), 'common', 'lost+found'], at);
    }
    log.length = 0;
    failAt = null;
    await ops.installDangerous(b2);
    assert.deepEqual(log, refreshOk);
    assert.ok(isMounted(device.paths.mountDir('seq', r1)) && isMounted(device.paths.mountDir('seq', r2)));
  } finally {
    for (const r of device.state.allRevisions()) if (isMounted(device.paths.mountDir(r.name, r.rev))) unmount(device.paths.mountDir(r.name, r.rev));
    for (const d of existsSync(device.paths.appDir('seq')) ? readdirSync(device.paths.appDir('seq')) : []) {
      const p = join(device.paths.appDir('seq'), d);
      if (/^\d+$/.test(d) && isMounted(p)) unmount(p);
    }
    if (isMounted(device.paths.appDataDir('seq'))) unmount(device.paths.appDataDir('seq'));
    device.close();
    rmSync(work, { recursive: true, force: true });
  }
});
