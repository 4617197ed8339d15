// What a device must refuse (docs/threat-model.md, a hostile network or mirror), each against a real store with a loopback attacker in front:
// each refusal is one clear line with a stable code, and leaves nothing downloaded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, openSync, readFileSync, readSync, truncateSync, writeSync, closeSync, statSync } from 'node:fs';
import { MetaFile } from '@tufjs/models';
import { TrustWorld, type Published, type TestDevice } from '../src/trust-fixture';
import { strangerKey } from '../src/trust-forge';

let world: TrustWorld;
let hello: Published;

before(async () => {
  world = await TrustWorld.start();
  hello = await world.publish('hello');
});
after(async () => world?.close());

/** Asserts a rejection with this code, a message matching `pattern`, on one line. */
async function refused(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => {
    assert.equal(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    console.log(`# ${e.code}: ${e.message}`);
    return true;
  });
}

async function refusedDownload(device: TestDevice, app: Published, pattern: RegExp): Promise<void> {
  const target = await device.trust.bundleTarget(app.name, app.revision);
  await refused(device.trust.download(target, device.dest(app.name, app.revision)), 'trust-refused', pattern);
  assert.deepEqual(device.bundleFiles(), [], 'nothing downloaded');
}

test('a tampered bundle is refused', async () => {
  const app = await world.publish('tampered', 256 * 1024);
  const file = world.targetFile(app);
  const fd = openSync(file, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, 100_000);
  writeSync(fd, Buffer.from([byte[0]! ^ 0xff]), 0, 1, 100_000);
  closeSync(fd);
  await refusedDownload(world.device(), app, /tampered\/\d+\.skiff does not match its signed sha256.*refused/);
});

test('a bundle of the wrong length is refused, longer or shorter', async () => {
  const longer = await world.publish('longer', 64 * 1024);
  appendFileSync(world.targetFile(longer), Buffer.alloc(100, 1));
  await refusedDownload(world.device(), longer, new RegExp(`serves ${longer.size + 100} bytes .* signed length is ${longer.size}; refused`));
  const shorter = await world.publish('shorter', 64 * 1024);
  truncateSync(world.targetFile(shorter), shorter.size - 4096);
  await refusedDownload(world.device(), shorter, new RegExp(`serves ${shorter.size - 4096} bytes .* signed length is ${shorter.size}; refused`));
});

test('an expired timestamp is refused', async () => {
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'serve', body: await world.forger.nextTimestamp({ expires: '2020-01-01T00:00:00Z' }) });
  try {
    const device = world.device();
    await refused(device.trust.refresh(), 'trust-refused', /\(expired: freeze attack or a stale mirror\): Final timestamp\.json is expired/);
    await refused(device.trust.channelMap('hello'), 'trust-refused', /expired/);
    assert.deepEqual(device.bundleFiles(), []);
  } finally {
    world.proxy.clear();
  }
});

test('metadata signed by a key the root does not name is refused', async () => {
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'serve', body: await world.forger.nextTimestamp({ keys: [strangerKey()] }) });
  try {
    await refused(world.device().trust.refresh(), 'trust-refused', /\(not signed by the trusted keys\): timestamp was signed by 0\/1 keys/);
  } finally {
    world.proxy.clear();
  }
});

test('a new root signed by a key the current root does not name is refused', async () => {
  const next = await world.forger.nextRoot([strangerKey()]);
  world.proxy.on(`/repo/metadata/${next.version}.root.json`, { kind: 'serve', body: next.bytes });
  try {
    const device = world.device();
    await refused(device.trust.refresh(), 'trust-refused', /\(not signed by the trusted keys\): root was signed by 0\/1 keys/);
    assert.deepEqual(readFileSync(`${device.trustDir}/root.json`), readFileSync(world.store.rootJsonPath), 'the trusted root is unchanged');
  } finally {
    world.proxy.clear();
  }
});

test('arbitrary software: a bundle in a bin not signed by the bins key is refused', async () => {
  const forged = await world.forger.release('apps/hello/99.skiff', Buffer.from('not a bundle'), {
    binKeys: [strangerKey()], custom: { name: 'hello', revision: 99, version: '9.9', publisher: 'mallory' },
  });
  for (const [path, body] of forged) world.proxy.on(path, { kind: 'serve', body });
  try {
    const device = world.device();
    await device.trust.refresh(); // timestamp and snapshot are validly signed (the online keys)
    await refused(device.trust.bundleTarget('hello', 99), 'trust-refused', /\(not signed by the trusted keys\): b-[0-9a-f]+ was signed by 0\/1 keys/);
    assert.deepEqual(device.bundleFiles(), []);
  } finally {
    world.proxy.clear();
  }
});

test('rollback: an older timestamp than the device has seen is refused', async () => {
  const device = world.device();
  await device.trust.refresh();
  const old = await world.forger.fetch('timestamp.json');
  await world.publish('mover');
  await device.trust.refresh();
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'serve', body: old });
  try {
    await refused(device.trust.refresh(), 'trust-refused', /\(rollback\): New timestamp version \d+ is less than current version \d+/);
  } finally {
    world.proxy.clear();
  }
});

test('rollback: an older snapshot than the device has seen is refused (with a validly signed timestamp)', async () => {
  const device = world.device();
  await device.trust.refresh();
  const oldSnapshot = await world.forger.snapshot();
  await world.publish('mover2');
  await device.trust.refresh();
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'serve', body: await world.forger.nextTimestamp({ snapshotBytes: oldSnapshot.bytes }) });
  try {
    await refused(device.trust.refresh(), 'trust-refused', /\(rollback\): New snapshot version \d+ is less than current version \d+/);
  } finally {
    world.proxy.clear();
  }
});

test('rollback: an older targets bin than the device has seen is refused (snapshot and timestamp validly signed)', async () => {
  const device = world.device();
  await device.trust.channelMap('hello'); // loads hello's bin
  const { name: bin, md } = await world.forger.binOf('apps/hello/channels.json');
  assert.ok(md.signed.version >= 2, 'the bin was released at least once');
  const snap = await world.forger.nextSnapshot((meta) => { meta[`${bin}.json`] = new MetaFile({ version: md.signed.version - 1 }); });
  world.proxy.on(`/repo/metadata/${snap.version}.snapshot.json`, { kind: 'serve', body: snap.bytes });
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'serve', body: await world.forger.nextTimestamp({ snapshotBytes: snap.bytes }) });
  try {
    await refused(device.trust.refresh(), 'trust-refused', new RegExp(`\\(rollback\\): snapshot\\.json: New version ${md.signed.version - 1} of ${bin}\\.json is less than current version ${md.signed.version}`));
  } finally {
    world.proxy.clear();
  }
});

test('mix-and-match: a snapshot that does not match the timestamp is refused', async () => {
  const current = await world.forger.snapshot();
  const older = await world.forger.snapshot(current.md.signed.version - 1);
  world.proxy.on(`/repo/metadata/${current.md.signed.version}.snapshot.json`, { kind: 'serve', body: older.bytes });
  try {
    await refused(world.device().trust.refresh(), 'trust-refused', /\(mix-and-match\): snapshot\.json: Expected (hash|length)/);
  } finally {
    world.proxy.clear();
  }
});

test('mix-and-match: a bin of another version than the snapshot names is refused', async () => {
  const { name: bin, md } = await world.forger.binOf('apps/hello/channels.json');
  const older = await world.forger.fetch(`${md.signed.version - 1}.${bin}.json`);
  world.proxy.on(`/repo/metadata/${md.signed.version}.${bin}.json`, { kind: 'serve', body: older });
  try {
    await refused(world.device().trust.channelMap('hello'), 'trust-refused', new RegExp(`\\(mix-and-match\\): Version ${md.signed.version - 1} of ${bin} does not match snapshot version ${md.signed.version}`));
  } finally {
    world.proxy.clear();
  }
});

test('a server that streams timestamp.json without end is cut at the cap and refused', async () => {
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'endless' });
  try {
    const started = Date.now();
    await refused(world.device().trust.refresh(), 'trust-refused', /more than the 16384 bytes allowed for timestamp\.json; refused/);
    assert.ok(Date.now() - started < 3000, 'cut by the byte cap, not by a timeout');
  } finally {
    world.proxy.clear();
  }
});

test('a server that streams a bundle without end is cut at its signed length and refused', async () => {
  const device = world.device();
  world.proxy.on(world.targetRequestPath(hello), { kind: 'endless' });
  try {
    await refusedDownload(device, hello, new RegExp(`more than the ${hello.size} bytes signed for apps/hello/${hello.revision}\\.skiff; refused`));
  } finally {
    world.proxy.clear();
  }
});

test('a store answering 503 for a bundle is retried, then reported as download-failed (a SkiffError), keeping nothing', async () => {
  const device = world.device({ retries: 1, retryBaseDelayMs: 10 });
  const target = await device.trust.bundleTarget('hello', hello.revision);
  world.proxy.on(world.targetRequestPath(hello), { kind: 'status', status: 503 }, 2);
  try {
    await refused(device.trust.download(target, device.dest('hello', hello.revision)), 'download-failed', /HTTP 503/);
    assert.equal(world.proxy.requestsFor(world.targetRequestPath(hello)).length, 2, 'one retry');
    assert.deepEqual(device.bundleFiles(), []);
  } finally {
    world.proxy.clear();
  }
});

test('a server that stops sending gives up after the stall timeout and retries, keeping nothing', async () => {
  const device = world.device({ stallTimeoutMs: 300, retries: 1 });
  const target = await device.trust.bundleTarget('hello', hello.revision);
  world.proxy.on(world.targetRequestPath(hello), { kind: 'stall' });
  try {
    await refused(device.trust.download(target, device.dest('hello', hello.revision)), 'download-failed', /store sent nothing for 300 ms/);
    assert.equal(world.proxy.requestsFor(world.targetRequestPath(hello)).length, 2, 'one retry');
    assert.deepEqual(device.bundleFiles(), []);
  } finally {
    world.proxy.clear();
  }
});

test('a channel map naming a revision that has no target is refused', async () => {
  const content = Buffer.from(JSON.stringify({ name: 'hello', channels: { 'latest/stable': { revision: 42, version: '4.2' } } }) + '\n');
  const forged = await world.forger.release('apps/hello/channels.json', content);
  for (const [path, body] of forged) world.proxy.on(path, { kind: 'serve', body });
  try {
    const device = world.device();
    assert.equal((await device.trust.channelMap('hello')).channels['latest/stable']?.revision, 42, 'the forged map itself verifies');
    const why = /names revision 42 in latest\/stable, which the store has not signed; refused/;
    await refused(device.trust.channelTarget('hello', 'latest/stable'), 'trust-refused', why);
    await refused(device.trust.bundleTarget('hello', 42), 'trust-refused', why); // the device's own flow: map, then target
    await refused(world.device().trust.bundleTarget('hello', 42), 'not-found', /no revision 42 of hello/); // no map seen: merely absent
    assert.deepEqual(device.bundleFiles(), []);
  } finally {
    world.proxy.clear();
  }
});

test('an unknown app is not-found, and the honest store still installs', async () => {
  const device = world.device();
  await refused(device.trust.channelMap('no-such-app'), 'not-found', /no app named no-such-app/);
  const target = await device.trust.channelTarget('hello', 'latest/stable');
  await device.trust.download(target, device.dest('hello', target.custom.revision));
  assert.equal(statSync(device.dest('hello', target.custom.revision)).size, hello.size);
});
