// Verified downloads and the device's metadata cache against a real store: resume with Range after a cut,
// one clear line when the disk is short, and a corrupt cache that falls back to the shipped root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceTrust } from '@skiff/client/dist/src/trust';
import { TrustWorld, type Published } from '../src/trust-fixture';
import { ARCHITECTURES } from '@skiff/bundle';

let world: TrustWorld;
let big: Published;

before(async () => {
  world = await TrustWorld.start();
  big = await world.publish('big', 2 * 1024 * 1024);
});
after(async () => world?.close());

test('install path: refresh, channel map, bundle target, one verified download; metadata cached atomically', async () => {
  const device = world.device();
  await device.trust.refresh();
  const map = await device.trust.channelMap('big');
  const stable = { 'latest/stable': { revision: big.revision, version: '1.0' } };
  assert.deepEqual(map, { name: 'big', channels: stable, architectures: Object.fromEntries(ARCHITECTURES.map((a) => [a, stable])) });
  const target = await device.trust.bundleTarget('big', big.revision);
  assert.equal(target.path, `apps/big/${big.revision}.skiff`);
  assert.equal(target.length, big.size);
  assert.equal(target.sha256, big.sha256);
  assert.equal(target.custom.name, 'big');
  assert.equal(target.custom.revision, big.revision);
  const dest = device.dest('big', big.revision);
  await device.trust.download(target, dest, { progress: false });
  assert.deepEqual(readFileSync(dest), readFileSync(big.path));
  assert.deepEqual(device.bundleFiles(), [`big_${big.revision}.skiff`]);
  const cached = readdirSync(device.trustDir).filter((f) => !f.startsWith('.'));
  for (const f of ['root.json', 'root.shipped.json', 'timestamp.json', 'snapshot.json', 'targets.json']) assert.ok(cached.includes(f), f);
  assert.ok(cached.some((f) => /^b-[0-9a-f]+\.json$/.test(f)), 'the hashed bin of the app is cached');
  assert.ok(!readdirSync(device.trustDir).some((f) => f.includes('.tmp-')), 'no temporary file left');
  // Only the bundle's own request, with no Range, went to the targets folder.
  assert.equal(world.proxy.requestsFor(world.targetRequestPath(big)).at(-1)?.headers.range, undefined);
});

test('an interrupted download resumes from where it stopped, with a Range request', async () => {
  world.proxy.clear();
  const path = world.targetRequestPath(big);
  world.proxy.on(path, { kind: 'cut', afterBytes: 700_000 }, 1);
  const device = world.device();
  const target = await device.trust.bundleTarget('big', big.revision);
  await device.trust.download(target, device.dest('big', big.revision));
  const requests = world.proxy.requestsFor(path);
  assert.equal(requests.length, 2);
  assert.equal(requests[0]!.headers.range, undefined);
  assert.equal(requests[1]!.headers.range, 'bytes=700000-');
  assert.deepEqual(readFileSync(device.dest('big', big.revision)), readFileSync(big.path));
  assert.deepEqual(device.bundleFiles(), [`big_${big.revision}.skiff`]);
});

test('a download cut with no retries left keeps its partial, and the next call (a new process) resumes it', async () => {
  world.proxy.clear();
  const path = world.targetRequestPath(big);
  world.proxy.on(path, { kind: 'cut', afterBytes: 1_000_000 }, 1);
  const first = world.device({ retries: 0 });
  const target = await first.trust.bundleTarget('big', big.revision);
  const dest = first.dest('big', big.revision);
  await assert.rejects(first.trust.download(target, dest), (e: Error & { code?: string }) => e.code === 'download-failed');
  assert.equal(statSync(`${dest}.partial`).size, 1_000_000);
  assert.ok(!existsSync(dest));
  const second = world.device({}, first.trustDir);
  await second.trust.download(await second.trust.bundleTarget('big', big.revision), dest);
  assert.equal(world.proxy.requestsFor(path).at(-1)!.headers.range, 'bytes=1000000-');
  assert.deepEqual(readFileSync(dest), readFileSync(big.path));
  assert.deepEqual(readdirSync(first.bundlesDir), [`big_${big.revision}.skiff`]);
});

test('a server that ignores Range (200, whole file) restarts the partial instead of appending a second copy', async () => {
  world.proxy.clear();
  world.proxy.on(world.targetRequestPath(big), { kind: 'ignore-range' });
  const device = world.device();
  const target = await device.trust.bundleTarget('big', big.revision);
  const dest = device.dest('big', big.revision);
  writeFileSync(`${dest}.partial`, readFileSync(big.path).subarray(0, 300_000)); // a good prefix
  await device.trust.download(target, dest);
  assert.deepEqual(world.proxy.requestsFor(world.targetRequestPath(big)).map((r) => r.headers.range), ['bytes=300000-']);
  assert.deepEqual(readFileSync(dest), readFileSync(big.path));
  world.proxy.clear();
});

test('a kept partial that does not match the signed hash is dropped: one fresh pass, then verified', async () => {
  world.proxy.clear();
  const device = world.device();
  const target = await device.trust.bundleTarget('big', big.revision);
  const dest = device.dest('big', big.revision);
  writeFileSync(`${dest}.partial`, Buffer.alloc(500_000, 0x55)); // left by something else
  await device.trust.download(target, dest);
  assert.deepEqual(world.proxy.requestsFor(world.targetRequestPath(big)).map((r) => r.headers.range), ['bytes=500000-', undefined]);
  assert.deepEqual(readFileSync(dest), readFileSync(big.path));
  assert.deepEqual(device.bundleFiles(), [`big_${big.revision}.skiff`]);
});

test('not enough free disk is refused before anything is written', async () => {
  const device = world.device({ freeDiskMarginBytes: 1e15 });
  const target = await device.trust.bundleTarget('big', big.revision);
  await assert.rejects(device.trust.download(target, device.dest('big', big.revision)), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'no-space');
    assert.match(e.message, /not enough disk for apps\/big\/\d+\.skiff: need .* [KMGT]iB free/);
    return true;
  });
  assert.deepEqual(device.bundleFiles(), []);
});

test('a corrupt cached root.json and timestamp.json fall back to the shipped root, and the device still works', async () => {
  const device = world.device();
  await device.trust.refresh();
  const shipped = readFileSync(join(device.trustDir, 'root.shipped.json'));
  const good = readFileSync(join(device.trustDir, 'root.json'));
  writeFileSync(join(device.trustDir, 'root.json'), good.subarray(0, good.length >> 1)); // torn by a power cut
  writeFileSync(join(device.trustDir, 'timestamp.json'), '');
  const again = world.device({}, device.trustDir);
  const target = await again.trust.channelTarget('big', 'latest/stable');
  assert.equal(target.sha256, big.sha256);
  assert.deepEqual(readFileSync(join(device.trustDir, 'root.json')), shipped, 'the cache is healed');
  JSON.parse(readFileSync(join(device.trustDir, 'timestamp.json'), 'utf8'));
});

test('a device whose cache and shipped root are both unreadable says so in one line', async () => {
  const device = world.device();
  writeFileSync(join(device.trustDir, 'root.json'), 'garbage');
  const trust = new DeviceTrust({ trustDir: device.trustDir, storeUrl: world.proxy.url });
  await assert.rejects(trust.refresh(), (e: Error & { code?: string }) => e.code === 'trust-missing' && /no usable trusted root/.test(e.message));
});

test('a download cancelled through its AbortSignal stops at once with download-aborted', async () => {
  world.proxy.clear();
  world.proxy.on(world.targetRequestPath(big), { kind: 'stall' });
  const device = world.device({ stallTimeoutMs: 10_000 });
  const target = await device.trust.bundleTarget('big', big.revision);
  const started = Date.now();
  await assert.rejects(device.trust.download(target, device.dest('big', big.revision), { signal: AbortSignal.timeout(200) }),
    (e: Error & { code?: string }) => e.code === 'download-aborted');
  assert.ok(Date.now() - started < 3000, 'no waiting for the stall timeout');
  world.proxy.clear();
});

test('a new root is walked to and cached; the shipped root stays aside, and the fallback walks again', async () => {
  world.proxy.clear();
  const next = await world.forger.nextRoot();
  world.proxy.on(`/repo/metadata/${next.version}.root.json`, { kind: 'serve', body: next.bytes });
  try {
    const device = world.device();
    await device.trust.refresh();
    assert.deepEqual(readFileSync(join(device.trustDir, 'root.json')), next.bytes, 'the rotated root is trusted from now on');
    assert.deepEqual(readFileSync(join(device.trustDir, 'root.shipped.json')), readFileSync(world.store.rootJsonPath));
    writeFileSync(join(device.trustDir, 'root.json'), '{"signed":');
    await world.device({}, device.trustDir).trust.refresh();
    assert.deepEqual(readFileSync(join(device.trustDir, 'root.json')), next.bytes, 'walked from the shipped root again');
  } finally {
    world.proxy.clear();
  }
});

test('a disk that fills up during the download is no-space in one line; the bytes written are kept and resumed', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs');
  const small = mkdtempSync(join(tmpdir(), 'skiff-trust-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', small]);
  try {
    world.proxy.clear();
    const path = world.targetRequestPath(big);
    // The free-space check passes (3 MiB for 2 MiB); then, once the bundle is asked for, something else takes the disk.
    world.proxy.onRequest = (p) => { if (p === path) writeFileSync(join(small, 'filler'), Buffer.alloc(2 * 1024 * 1024)); };
    const device = world.device();
    const target = await device.trust.bundleTarget('big', big.revision);
    const dest = join(small, 'big.skiff');
    await assert.rejects(device.trust.download(target, dest), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'no-space', String(e.stack));
      assert.match(e.message, /^disk full while writing apps\/big\/\d+\.skiff after \d+ of \d+ bytes \(kept, to resume\)$/);
      return true;
    });
    assert.ok(!existsSync(dest));
    const kept = readFileSync(`${dest}.partial`);
    assert.ok(kept.length > 0);
    assert.deepEqual(kept, readFileSync(big.path).subarray(0, kept.length), 'the kept bytes are the bundle\'s first ones');
    // Space is back: the next call resumes from the kept bytes and verifies the whole.
    world.proxy.onRequest = undefined;
    rmSync(join(small, 'filler'));
    await device.trust.download(target, dest);
    assert.equal(world.proxy.requestsFor(path).at(-1)!.headers.range, `bytes=${kept.length}-`);
    assert.deepEqual(readFileSync(dest), readFileSync(big.path));
  } finally {
    world.proxy.clear();
    execFileSync('umount', [small]);
    rmSync(small, { recursive: true, force: true });
  }
});
