// Issue 9, finding 5 (an app could fill the device's disk through /data) and the host side of finding 7
// (no nosuid on app data): each app's data is its own ext4 volume of data.max-size, mounted nosuid,nodev.
// Real store on 127.0.0.1, real device root, real loop mounts; the app writes through its own sandbox.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as native from '@skiff/native';
import { DeviceLayout } from '@skiff/bundle';
import { publishBundle, type RunningStore } from '../src/store';
import {
  skiff, skiffJson, makeBundle, openDeviceWorld, closeDeviceWorld, mountsUnder, rootSkipReason, viewDevice, expectedView, loopsGone, type CliResult,
} from '../src/device-fixture';

const MiB = 1024 ** 2;
/** The smallest data.max-size allowed: small volumes keep the test fast. */
const LIMIT_MB = 64;

// The app: `fill` writes zeros to /data until the write fails (at most twice the limit, so old code
// without a volume cannot fill the host), `write N` writes N MiB, `note`/`show` a small file, `suid`
// leaves a setuid copy of `id` in /data, anything else says hello.
const SCRIPT = `case "$1" in
  fill) dd if=/dev/zero of=/data/fill bs=1M count=${2 * LIMIT_MB} 2>&1 | grep -o 'No space left on device'; echo "size $(stat -c %s /data/fill)" ;;
  write) head -c "$(($2 * 1048576))" /dev/zero > /data/blob && echo "wrote $2" ;;
  rm) rm -f /data/fill /data/blob ;;
  note) echo "$2" > /data/note ;;
  show) cat /data/note ;;
  suid) cp /usr/bin/id /data/id && chmod 4755 /data/id && echo suid ;;
  *) echo "hello $VERSION" ;;
esac`;

describe('device: each app writes to its own size-limited data volume', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let work = '';
  let root = '';
  let paths: DeviceLayout;

  before(async () => {
    ({ store, work, root } = await openDeviceWorld('volume'));
    paths = new DeviceLayout(root);
    ok(['setup', '--store', store.url, '--trust', store.rootJsonPath]);
    ok(['config', 'set', 'data.max-size', `${LIMIT_MB}M`]);
  });
  after(async () => {
    await closeDeviceWorld({ store, work, root });
  });

  function ok(args: string[]): CliResult {
    const r = skiff(root, args);
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r;
  }
  const publish = async (name: string, version: string): Promise<number> =>
    (await publishBundle(store!, await makeBundle(work, { name, version, script: SCRIPT.replace('$VERSION', version) }), { channel: 'stable' })).revision;
  const run = (name: string, ...args: string[]): string => ok(['run', name, '--', ...args]).stdout;

  test('setting data.max-size: bad values are refused in one line', () => {
    for (const bad of ['10M', '2T', 'lots', '1025G', '100000K']) {
      const r = skiff(root, ['config', 'set', 'data.max-size', bad]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /data\.max-size must be a size from 64M to 1024G \(a number with M or G\), not "/);
    }
    assert.equal(skiff(root, ['config', 'get', 'data.max-size']).stdout.trim(), `${LIMIT_MB}M`);
  });

  test('an app filling /data gets ENOSPC near the limit; the host keeps its space', async () => {
    await publish('filler', '1.0');
    ok(['install', 'filler']);
    const mount = native.findMount(paths.appDataDir('filler'));
    assert.ok(mount, 'the data volume is mounted');
    assert.equal(mount.fsType, 'ext4');
    for (const opt of ['rw', 'nosuid', 'nodev']) assert.ok(mount.options.includes(opt), `host mount option ${opt}: ${mount.options}`);
    assert.equal(statSync(paths.appDataDir('filler')).mode & 0o7777, 0o700, 'the top of the volume is root-only');

    const info = (): { size: number; used: number } => skiffJson<{ data: { size: number; used: number } }>(root, ['info', 'filler']).data;
    assert.equal(info().size, LIMIT_MB * MiB);
    const out = run('filler', 'fill');
    assert.match(out, /No space left on device/, out);
    const written = Number(/size (\d+)/.exec(out)?.[1]);
    assert.ok(info().used >= written, `info shows ${info().used} bytes used`);
    assert.match(ok(['info', 'filler']).stdout, new RegExp(`data: +\\d+\\.\\dM used of ${LIMIT_MB}M \\(data\\.max-size\\)`));
    // ext4's journal and inode tables take their share: 13% of a 64M volume, 6.5% of a 1G one.
    assert.ok(written > 0.8 * LIMIT_MB * MiB && written <= LIMIT_MB * MiB, `wrote ${written} bytes`);
    // The image is sparse and capped: it holds no more than the limit on the host.
    const image = paths.volumeImage('filler');
    assert.equal(statSync(image).size, LIMIT_MB * MiB);
    assert.ok(statSync(image).blocks * 512 <= LIMIT_MB * MiB, `image uses ${statSync(image).blocks * 512} bytes`);

    // The device still installs: another app gets its own volume.
    await publish('other', '1.0');
    ok(['install', 'other']);
    assert.match(run('other'), /hello 1\.0/);
    ok(['remove', 'other', '--purge']);
    run('filler', 'rm');
  });

  test('a refresh whose data copy does not fit fails in one line, undone, the old revision running', async () => {
    const before = skiffJson<{ revision: number }[]>(root, ['list'])[0]!.revision;
    assert.match(run('filler', 'write', String(Math.ceil(LIMIT_MB * 0.6))), /wrote/);
    const r2 = await publish('filler', '1.1');
    const r = skiff(root, ['refresh', 'filler']);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = (r.stdout + r.stderr).trim().split('\n');
    assert.equal(lines.length, 1, r.stdout + r.stderr);
    assert.match(lines[0]!, new RegExp(`the data of filler does not fit its ${LIMIT_MB}M data volume \\(data\\.max-size\\)`));
    assert.match(lines[0]!, new RegExp(`back on revision ${before}`));
    assert.deepEqual(skiffJson<{ revision: number }[]>(root, ['list']).map((a) => a.revision), [before]);
    assert.deepEqual(viewDevice(root, 'filler'), expectedView('filler', before, [before]), 'no half-made copy left');
    assert.equal(statSync(join(paths.revDataDir('filler', before), 'blob')).size, Math.ceil(LIMIT_MB * 0.6) * MiB, 'the data is intact');
    assert.match(run('filler'), /hello 1\.0/);

    // Raising the limit grows the mounted volume online; where the kernel refuses that (no
    // CAP_SYS_RESOURCE, as in some containers) it says so, and the volume grows at its next mount.
    const raise = ok(['config', 'set', 'data.max-size', `${LIMIT_MB * 2}M`]);
    if (statSync(paths.volumeImage('filler')).size < LIMIT_MB * 2 * MiB) {
      assert.match(raise.stderr, /^skiff config: the data volume of filler grows at its next mount \(boot or reinstall\): .*resize2fs/);
      assert.equal(statSync(paths.volumeImage('filler')).size, LIMIT_MB * MiB, 'a refused online resize leaves the image as it was');
      for (const m of mountsUnder(root)) native.unmount(m);
      ok(['boot']);
    }
    assert.equal(statSync(paths.volumeImage('filler')).size, LIMIT_MB * 2 * MiB);
    assert.equal(statSync(join(paths.revDataDir('filler', before), 'blob')).size, Math.ceil(LIMIT_MB * 0.6) * MiB, 'the data survives growth');
    ok(['refresh', 'filler']);
    assert.match(run('filler'), /hello 1\.1/);
    assert.equal(statSync(join(paths.revDataDir('filler', r2), 'blob')).size, Math.ceil(LIMIT_MB * 0.6) * MiB);
    // Shrinking below a volume already made is refused in one line.
    const shrink = skiff(root, ['config', 'set', 'data.max-size', `${LIMIT_MB}M`]);
    assert.equal(shrink.status, 1);
    assert.match(shrink.stderr.trim(), new RegExp(`^skiff: .*data\\.max-size cannot go below the data volumes already made \\(filler: ${LIMIT_MB * 2}M\\); volumes grow but never shrink$`));
    run('filler', 'rm');
  });

  test('a setuid file the app leaves in its data is inert on the host (nosuid)', () => {
    assert.match(run('filler', 'suid'), /suid/);
    const file = join(paths.revDataDir('filler', skiffJson<{ revision: number }[]>(root, ['list'])[0]!.revision), 'id');
    const st = statSync(file);
    assert.equal(st.mode & 0o4000, 0o4000, 'the app set the setuid bit');
    assert.ok(st.uid >= 600000, `owned by the app's uid ${st.uid}`);
    // Run it as nobody through an fd (the top of the volume is 0700): nosuid keeps nobody's euid.
    const fd = openSync(file, 'r');
    try {
      const r = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '/proc/self/fd/3', '-u'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd] });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), '65534', `euid ${r.stdout.trim()}: the setuid bit took effect`);
    } finally { closeSync(fd); }
  });

  test('skiff boot after a reboot (nothing mounted) mounts the volume again; the app sees its data', () => {
    run('filler', 'note', 'before the reboot');
    for (const m of mountsUnder(root)) native.unmount(m);
    assert.equal(native.isMounted(paths.appDataDir('filler')), false);
    ok(['boot']);
    assert.ok(native.isMounted(paths.appDataDir('filler')), 'volume mounted by boot');
    assert.equal(run('filler', 'show').trim(), 'before the reboot');
  });

  test('remove keeps the data in the unmounted volume; reinstall restores it', async () => {
    const image = paths.volumeImage('filler');
    ok(['remove', 'filler']);
    assert.ok(existsSync(image), 'the volume is kept');
    assert.equal(native.isMounted(paths.appDataDir('filler')), false);
    assert.ok(!existsSync(paths.appDataDir('filler')), 'mount point removed');
    assert.deepEqual(await loopsGone(image), [], 'no loop device left');
    ok(['install', 'filler']);
    assert.equal(run('filler', 'show').trim(), 'before the reboot');
  });

  test('remove --purge leaves no image, no mount and no loop device', async () => {
    const image = paths.volumeImage('filler');
    ok(['remove', 'filler', '--purge']);
    assert.ok(!existsSync(image), 'image deleted');
    assert.deepEqual(readdirSync(paths.volumesDir).filter((f) => f.startsWith('filler')), []);
    assert.deepEqual(mountsUnder(root).filter((m) => m.includes('filler')), []);
    assert.deepEqual(await loopsGone(image), [], 'no loop device left');
    ok(['install', 'filler']);
    const r = skiff(root, ['run', 'filler', '--', 'show']);
    assert.notEqual(r.status, 0, 'a purged app starts with no data');
    ok(['remove', 'filler', '--purge']);
  });
});
