import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLayout, packBundle } from '@skiff/bundle';
import { isMounted, unmount } from '@skiff/native';
import { switchCurrent } from '../src/device/tasks/switch';
import { openDevice } from '../src/device';
import { DeviceOps } from '../src/device/ops';

test('switchCurrent: replaces the link by rename, clears a leftover temporary link, is idempotent', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-switch-'));
  try {
    const paths = new DeviceLayout(root);
    mkdirSync(paths.appDir('a'), { recursive: true });
    switchCurrent(paths, 'a', 1);
    assert.equal(readlinkSync(paths.currentLink('a')), '1');
    symlinkSync('9', join(paths.appDir('a'), '.current.new')); // as a crash between symlink and rename leaves it
    switchCurrent(paths, 'a', 2);
    assert.equal(readlinkSync(paths.currentLink('a')), '2');
    switchCurrent(paths, 'a', 2);
    assert.deepEqual(readdirSync(paths.appDir('a')), ['current']);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

const skipUnlessRoot = process.getuid?.() === 0 ? false : 'needs root: real loop mounts';

async function bundle(work: string, version: string, healthy = true): Promise<string> {
  const dir = join(work, `src-${version}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'meta/hooks'), { recursive: true });
  writeFileSync(join(dir, 'meta/app.yaml'), `name: tiny\nversion: '${version}'\nsummary: tiny\napps:\n  tiny:\n    command: bin/tiny\nhooks:\n  check-health: {}\n`);
  writeFileSync(join(dir, 'bin/tiny'), '#!/bin/sh\necho tiny\n');
  writeFileSync(join(dir, 'meta/hooks/check-health'), `#!/bin/sh\nexit ${healthy ? 0 : 1}\n`);
  chmodSync(join(dir, 'bin/tiny'), 0o755);
  chmodSync(join(dir, 'meta/hooks/check-health'), 0o755);
  mkdirSync(join(work, `out-${version}`));
  return (await packBundle(dir, join(work, `out-${version}`))).path;
}

test('install --dangerous, refresh, failed refresh, revert, remove: real mounts, data and state', { skip: skipUnlessRoot }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'skiff-dangerous-'));
  const root = join(work, 'root');
  const device = openDevice(root);
  const ops = new DeviceOps(device, { progress: false });
  const p = device.paths;
  try {
    const a = await ops.installDangerous(await bundle(work, '1'));
    const r1 = a.revision;
    assert.ok(isMounted(p.mountDir('tiny', r1)));
    assert.equal(readlinkSync(p.currentLink('tiny')), String(r1));
    assert.equal(statSync(p.revDataDir('tiny', r1)).uid, device.appContext('tiny').uid, 'data owned by the app user');
    assert.deepEqual(device.state.revision('tiny', r1)?.dangerous, true);
    writeFileSync(join(p.revDataDir('tiny', r1), 'f'), 'one');
    // As the app leaves it: its own (a root-owned entry in app data is never copied to the app).
    chownSync(join(p.revDataDir('tiny', r1), 'f'), device.appContext('tiny').uid, device.appContext('tiny').uid);

    const b = await ops.installDangerous(await bundle(work, '2'));
    assert.equal(b.revision, r1 + 1);
    assert.equal(readFileSync(join(p.revDataDir('tiny', b.revision), 'f'), 'utf8'), 'one');
    assert.ok(isMounted(p.mountDir('tiny', r1)) && isMounted(p.mountDir('tiny', b.revision)));

    await assert.rejects(ops.installDangerous(await bundle(work, '3', false)), { code: 'change-failed' });
    assert.equal(device.state.app('tiny')?.current, b.revision, 'rolled back');
    assert.ok(!existsSync(p.mountDir('tiny', b.revision + 1)));
    assert.ok(!existsSync(p.bundleFile('tiny', b.revision + 1)));

    const rv = await ops.revert('tiny');
    assert.equal(rv.to, r1);
    assert.equal(readlinkSync(p.currentLink('tiny')), String(r1));
    assert.ok(device.state.isBlocked('tiny', b.revision));

    await ops.remove('tiny');
    assert.equal(device.state.app('tiny'), undefined);
    assert.ok(!existsSync(p.appDir('tiny')) && !existsSync(p.appDataDir('tiny')));
    assert.ok(existsSync(p.volumeImage('tiny')), 'the data volume is kept');
    assert.deepEqual(readdirSync(p.bundlesDir), []);
    const again = await ops.installDangerous(await bundle(work, '4'));
    assert.equal(readFileSync(join(p.revDataDir('tiny', again.revision), 'f'), 'utf8'), 'one', 'reinstall restores the kept data');
    await ops.remove('tiny', { purge: true });
    assert.ok(!existsSync(p.volumeImage('tiny')) && !existsSync(p.appDataDir('tiny')));
    assert.deepEqual(ops.runner.changes().map((c) => `${c.kind}:${c.status}`),
      ['install:done', 'refresh:done', 'refresh:undone', 'revert:done', 'remove:done', 'install:done', 'remove:done']);
  } finally {
    for (const rev of device.state.allRevisions()) if (isMounted(p.mountDir(rev.name, rev.rev))) unmount(p.mountDir(rev.name, rev.rev));
    for (const d of existsSync(p.appsDir) ? readdirSync(p.appsDir) : []) for (const r of existsSync(join(p.appsDir, d)) ? readdirSync(join(p.appsDir, d)) : []) {
      if (isMounted(join(p.appsDir, d, r))) unmount(join(p.appsDir, d, r));
    }
    if (isMounted(p.appDataDir('tiny'))) unmount(p.appDataDir('tiny'));
    device.close();
    rmSync(work, { recursive: true, force: true });
  }
});
