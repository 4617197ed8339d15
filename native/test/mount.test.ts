import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync, truncateSync, statSync, chmodSync } from 'node:fs';
import { join, basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile, execFileSync } from 'node:child_process';
import { mountBundle, mountVolume, refreshLoopCapacity, unmount, isMounted, findMount, parseMountInfo, MountError } from '../src';
import { needsRoot, tempDir, makeSquashfs, removeDir } from './helpers';
import { native } from '../src/loader';

const rootSkip = needsRoot('loop devices and mount(2)');
const dirs: string[] = [];
const mounted: string[] = [];

after(() => {
  for (const m of mounted) if (isMounted(m)) try { unmount(m, { lazy: true }); } catch { /* best effort */ }
  for (const d of dirs) removeDir(d);
});

test('parseMountInfo: octal escapes decoded, mount and superblock options apart, malformed lines skipped', () => {
  const text = '36 35 98:0 / /mnt/with\\040space rw,nosuid shared:1 - ext4 /dev/loop\\0403 rw,errors=continue\n' +
    '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\nnot a mountinfo line\n';
  assert.deepEqual(parseMountInfo(text), [
    { mountPoint: '/mnt/with space', options: ['rw', 'nosuid'], fsType: 'ext4', source: '/dev/loop 3', superOptions: ['rw', 'errors=continue'] },
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', options: ['rw', 'relatime'], fsType: 'cgroup', source: 'cgroup', superOptions: ['rw', 'cpu', 'cpuacct'] },
  ]);
});

/** A fresh folder, removed after the tests. */
function workDir(name: string): string {
  const dir = tempDir(name);
  dirs.push(dir);
  return dir;
}

/** A folder with a squashfs image and an empty mount point, which is unmounted after the tests if need be. */
function imageAndTarget(name: string): { image: string; target: string } {
  const dir = workDir(name);
  const image = makeSquashfs(dir);
  const target = join(dir, 'mnt');
  mkdirSync(target);
  mounted.push(target);
  return { image, target };
}

/** Loop devices whose backing file is `image`. */
function loopsBacking(image: string): string[] {
  const found: string[] = [];
  for (const dev of readdirSync('/sys/block').filter((d) => d.startsWith('loop'))) {
    const file = join('/sys/block', dev, 'loop', 'backing_file');
    if (existsSync(file) && readFileSync(file, 'utf8').trim() === image) found.push(dev);
  }
  return found;
}

test('mountBundle mounts a squashfs ro,nosuid,nodev and unmount frees the loop device', { skip: rootSkip }, async () => {
  const { image, target } = imageAndTarget('mount');
  assert.equal(isMounted(target), false);

  mountBundle(image, target);
  assert.equal(isMounted(target), true);
  assert.equal(readFileSync(join(target, 'hello.txt'), 'utf8'), 'hello from the bundle\n');
  assert.equal(readFileSync(join(target, 'sub', 'data.txt'), 'utf8').length, 10000);
  assert.throws(() => writeFileSync(join(target, 'new.txt'), 'x'), { code: 'EROFS' });

  const info = findMount(target);
  assert.ok(info);
  assert.equal(info.fsType, 'squashfs');
  for (const opt of ['ro', 'nosuid', 'nodev']) assert.ok(info.options.includes(opt), `mount option ${opt} in ${info.options}`);
  const device = basename(info.source);
  assert.match(device, /^loop\d+$/);
  assert.deepEqual(loopsBacking(image), [device]);
  assert.equal(readFileSync(`/sys/block/${device}/ro`, 'utf8').trim(), '1');
  assert.equal(readFileSync(`/sys/block/${device}/loop/autoclear`, 'utf8').trim(), '1');

  unmount(target);
  assert.equal(isMounted(target), false);
  // Autoclear detaches the device as the filesystem lets go of it; allow the kernel a moment.
  for (let i = 0; i < 100 && loopsBacking(image).length > 0; i++) await sleep(20);
  assert.deepEqual(loopsBacking(image), [], 'loop device still attached after unmount');
});

test('the pre-5.8 loop interface (LOOP_SET_FD + LOOP_SET_STATUS64) mounts read-only with autoclear too', { skip: rootSkip }, async () => {
  const { image, target } = imageAndTarget('legacy');
  native().mountBundle(image, target, true);
  const info = findMount(target);
  assert.ok(info);
  const device = basename(info.source);
  assert.equal(readFileSync(`/sys/block/${device}/ro`, 'utf8').trim(), '1');
  assert.equal(readFileSync(`/sys/block/${device}/loop/autoclear`, 'utf8').trim(), '1');
  assert.equal(readFileSync(join(target, 'hello.txt'), 'utf8'), 'hello from the bundle\n');
  unmount(target);
  for (let i = 0; i < 100 && loopsBacking(image).length > 0; i++) await sleep(20);
  assert.deepEqual(loopsBacking(image), []);
});

test('a mount point is not mounted over again', { skip: rootSkip }, () => {
  const { image, target } = imageAndTarget('twice');
  mountBundle(image, target);
  try {
    assert.throws(() => mountBundle(image, target), (e: unknown) => e instanceof MountError && e.errno === 16 && /already a mount point/.test(e.message));
    assert.equal(loopsBacking(image).length, 1, 'no second loop device');
  } finally {
    unmount(target);
  }
});

test('concurrent mounts from several processes each get their own loop device', { skip: rootSkip }, async () => {
  const dir = workDir('race');
  const image = makeSquashfs(dir);
  const workers = 4;
  const perWorker = 3;
  const targets = Array.from({ length: workers * perWorker }, (_, i) => join(dir, `mnt-${i}`));
  for (const t of targets) mkdirSync(t);
  mounted.push(...targets);
  // Separate processes, started together, race on LOOP_CTL_GET_FREE and LOOP_CONFIGURE.
  const index = join(__dirname, '..', 'src', 'index.js');
  const runs = Array.from({ length: workers }, (_, w) => new Promise<number | null>((resolve) => {
    const mine = targets.slice(w * perWorker, (w + 1) * perWorker);
    const script = `const n = require(${JSON.stringify(index)}); for (const t of ${JSON.stringify(mine)}) n.mountBundle(${JSON.stringify(image)}, t);`;
    execFile(process.execPath, ['-e', script], (err) => resolve(err ? (err as { code?: number }).code ?? 1 : 0));
  }));
  try {
    assert.deepEqual(await Promise.all(runs), Array(workers).fill(0));
    const devices = targets.map((t) => findMount(t)?.source);
    assert.equal(new Set(devices).size, targets.length, `distinct loop devices: ${devices}`);
    for (const t of targets) assert.equal(readFileSync(join(t, 'hello.txt'), 'utf8'), 'hello from the bundle\n');
  } finally {
    for (const t of targets) if (isMounted(t)) unmount(t);
  }
  for (let i = 0; i < 100 && loopsBacking(image).length > 0; i++) await sleep(20);
  assert.deepEqual(loopsBacking(image), []);
});

test('lazy unmount detaches a busy mount', { skip: rootSkip }, async () => {
  const { image, target } = imageAndTarget('lazy');
  mountBundle(image, target);
  const busy = process.cwd();
  process.chdir(target);  // keeps the mount busy: a plain umount gets EBUSY
  try {
    assert.throws(() => unmount(target), (e: unknown) => e instanceof MountError && e.errno === 16 /* EBUSY */);
    unmount(target, { lazy: true });
  } finally {
    process.chdir(busy);
  }
  assert.equal(isMounted(target), false);
  for (let i = 0; i < 100 && loopsBacking(image).length > 0; i++) await sleep(20);
  assert.deepEqual(loopsBacking(image), []);
});

test('a file that is not squashfs fails at mount and leaves no loop device', { skip: rootSkip }, () => {
  const dir = workDir('bad');
  const image = join(dir, 'not-a-bundle.skiff');
  writeFileSync(image, Buffer.alloc(64 * 1024));
  const target = join(dir, 'mnt');
  mkdirSync(target);
  assert.throws(() => mountBundle(image, target), (e: unknown) => e instanceof MountError && /failed at mount/.test(e.message) && e.target === target);
  assert.equal(isMounted(target), false);
  assert.deepEqual(loopsBacking(image), []);
});

test('a missing bundle file is a MountError naming the step', { skip: rootSkip }, () => {
  const dir = workDir('missing');
  assert.throws(() => mountBundle(join(dir, 'nope.skiff'), dir), (e: unknown) =>
    e instanceof MountError && e.errno === 2 && /open bundle/.test(e.message));
});

/** A folder with a 64 MiB sparse ext4 image and an empty mount point, unmounted after the tests if need be. */
function ext4AndTarget(name: string): { image: string; target: string } {
  const dir = workDir(name);
  const image = join(dir, 'data.img');
  writeFileSync(image, '');
  truncateSync(image, 64 * 1024 * 1024);
  execFileSync('mkfs.ext4', ['-q', image], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  const target = join(dir, 'mnt');
  mkdirSync(target);
  mounted.push(target);
  return { image, target };
}

test('mountVolume mounts an ext4 image rw,nosuid,nodev and unmount frees the loop device', { skip: rootSkip }, async () => {
  const { image, target } = ext4AndTarget('volume');
  mountVolume(image, target);
  const info = findMount(target);
  assert.ok(info);
  assert.equal(info.fsType, 'ext4');
  for (const opt of ['rw', 'nosuid', 'nodev']) assert.ok(info.options.includes(opt), `mount option ${opt} in ${info.options}`);
  const device = basename(info.source);
  assert.equal(readFileSync(`/sys/block/${device}/ro`, 'utf8').trim(), '0');
  assert.equal(readFileSync(`/sys/block/${device}/loop/autoclear`, 'utf8').trim(), '1');
  writeFileSync(join(target, 'suid'), 'x');
  chmodSync(join(target, 'suid'), 0o4755);
  assert.equal(statSync(join(target, 'suid')).mode & 0o4000, 0o4000, 'the bit is stored; nosuid makes it inert');
  assert.throws(() => mountVolume(image, target), (e: unknown) => e instanceof MountError && e.errno === 16);

  // A longer image: the loop device sees the new size once told.
  truncateSync(image, 128 * 1024 * 1024);
  refreshLoopCapacity(info.source);
  assert.equal(Number(readFileSync(`/sys/block/${device}/size`, 'utf8')) * 512, 128 * 1024 * 1024);

  unmount(target);
  for (let i = 0; i < 100 && loopsBacking(image).length > 0; i++) await sleep(20);
  assert.deepEqual(loopsBacking(image), []);
});

test('a file that is not ext4 fails at mountVolume and leaves no loop device', { skip: rootSkip }, () => {
  const dir = workDir('badvolume');
  const image = join(dir, 'zeros.img');
  writeFileSync(image, Buffer.alloc(1024 * 1024));
  const target = join(dir, 'mnt');
  mkdirSync(target);
  assert.throws(() => mountVolume(image, target), (e: unknown) => e instanceof MountError && /failed at mount/.test(e.message));
  assert.deepEqual(loopsBacking(image), []);
});

test('arguments are checked before any syscall', () => {
  assert.throws(() => mountVolume('', '/x'), TypeError);
  assert.throws(() => refreshLoopCapacity('/etc/passwd'), TypeError);
  assert.throws(() => mountBundle('', '/x'), TypeError);
  assert.throws(() => mountBundle('/a\0b', '/x'), TypeError);
  assert.throws(() => unmount('/x', { lazy: 'yes' as unknown as boolean }), TypeError);
  assert.throws(() => isMounted(42 as unknown as string), TypeError);
  assert.equal(isMounted('/'), true);
  assert.equal(isMounted('/definitely/not/a/mount/point'), false);
});
