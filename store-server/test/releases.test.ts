import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Metadata, MetadataKind } from '@tufjs/models';
import { openTestStore, auth, makeBundle, registerKey, uploadHeaders, storeState, type TestStore } from './helpers';
import { ARCHITECTURES, channelMapTargetPath, bundleTargetPath } from '@skiff/bundle';

/** The per-architecture part of a map whose channels hold `all` revisions: the same for every architecture. */
const everyArch = (channels: object) => Object.fromEntries(ARCHITECTURES.map((a) => [a, channels]));

let store: TestStore;
let work: string;
const shas: Record<number, string> = {};
before(async () => {
  store = await openTestStore();
  work = mkdtempSync(join(tmpdir(), 'skiff-release-test-'));
  const pub = await registerKey(store.app, store.tokens.alice);
  await store.app.inject({ method: 'POST', url: '/v1/apps', headers: auth(store.tokens.alice), payload: { name: 'hello' } });
  for (const version of ['1.0', '1.1', '1.2']) {
    const b = await makeBundle(work, { name: 'hello', version });
    const r = await store.app.inject({ method: 'POST', url: '/v1/uploads', headers: uploadHeaders(store.tokens.alice, pub, 'hello', b.bytes), payload: b.bytes });
    assert.equal(r.statusCode, 201, r.body);
    shas[r.json().revision] = b.sha256;
  }
});
after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

const metadataDir = () => join(store.dir, 'repo', 'metadata');
const metadataFiles = () => new Map(readdirSync(metadataDir()).map((f) => [f, createHash('sha256').update(readFileSync(join(metadataDir(), f))).digest('hex')]));
const release = (token: string, name: string, revision: number, channel: string) =>
  store.app.inject({ method: 'POST', url: `/v1/apps/${name}/releases`, headers: auth(token), payload: { revision, channel } });
const close = (token: string, name: string, channel: string) =>
  store.app.inject({ method: 'POST', url: `/v1/apps/${name}/close`, headers: auth(token), payload: { channel } });
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** The target file of the current channel map, read through the signed bin that lists it. */
function channelMapOnDisk(name: string) {
  const path = channelMapTargetPath(name);
  const bin = store.ctx.tuf.bin(store.ctx.tuf.binFor(path))!;
  const target = bin.signed.targets[path]!;
  return readJson(join(store.dir, 'repo', 'targets', 'apps', name, `${target.hashes.sha256}.channels.json`));
}

test('a release rewrites the channel map, one or two bins, the snapshot and the timestamp: nothing else', async () => {
  const before = metadataFiles();
  const res = await release(store.tokens.alice, 'hello', 1, 'stable');
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.channel, 'latest/stable');
  assert.deepEqual(body.channels, { 'latest/stable': { revision: 1, version: '1.0' } });

  const after = metadataFiles();
  const changed = [...after].filter(([f, h]) => before.get(f) !== h).map(([f]) => f).sort();
  const bins = new Set([store.ctx.tuf.binFor(channelMapTargetPath('hello')), store.ctx.tuf.binFor(bundleTargetPath('hello', 1))]);
  const expected = [...[...bins].map((b) => `2.${b}.json`), '2.snapshot.json', 'timestamp.json'].sort();
  // Each versioned file has its precompressed copy beside it (the timestamp, rewritten in place, has none).
  assert.deepEqual(changed, [...expected, ...expected.filter((f) => f !== 'timestamp.json').map((f) => `${f}.gz`)].sort());
  assert.deepEqual([...body.metadata.files].sort(), expected);

  // The channel map, exactly as devices read it (the contract with the device side).
  const stable = { 'latest/stable': { revision: 1, version: '1.0' } };
  assert.deepEqual(channelMapOnDisk('hello'), { name: 'hello', channels: stable, architectures: everyArch(stable) });
  // The bundle target: custom fields, and the file under its consistent-snapshot name.
  const path = bundleTargetPath('hello', 1);
  const target = store.ctx.tuf.bin(store.ctx.tuf.binFor(path))!.signed.targets[path]!;
  assert.deepEqual(target.custom, { name: 'hello', revision: 1, version: '1.0', publisher: 'alice' });
  assert.equal(target.hashes.sha256, shas[1]);
  const file = join(store.dir, 'repo', 'targets', 'apps', 'hello', `${shas[1]}.1.skiff`);
  assert.ok(existsSync(file));
  // Readable by a web server running as another user (nginx's www-data).
  assert.equal(statSync(file).mode & 0o777, 0o644);
  assert.equal(statSync(file).ino, statSync(join(store.dir, 'blobs', shas[1]!)).ino, 'a hard link to the blob, not a copy');
});

test('every role verifies: root signs the top roles, targets delegates to the bins', () => {
  const md = (f: string, kind: MetadataKind) => Metadata.fromJSON(kind as MetadataKind.Root, readJson(join(metadataDir(), f))) as Metadata<any>;
  const root = md('root.json', MetadataKind.Root);
  const timestamp = md('timestamp.json', MetadataKind.Timestamp);
  root.verifyDelegate('root', root);
  root.verifyDelegate('timestamp', timestamp);
  const snapshot = md(`${timestamp.signed.snapshotMeta.version}.snapshot.json`, MetadataKind.Snapshot);
  root.verifyDelegate('snapshot', snapshot);
  const targets = md(`${snapshot.signed.meta['targets.json'].version}.targets.json`, MetadataKind.Targets);
  root.verifyDelegate('targets', targets);
  const binCount = Object.keys(snapshot.signed.meta).length - 1;
  assert.equal(binCount, 16);
  for (const [file, meta] of Object.entries(snapshot.signed.meta as Record<string, { version: number }>)) {
    if (file === 'targets.json') continue;
    targets.verifyDelegate(file.replace(/\.json$/, ''), md(`${meta.version}.${file}`, MetadataKind.Targets));
  }
  assert.match(timestamp.signed.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('channels: track/risk, `stable` means latest/stable; the map keeps full names, ordered', async () => {
  assert.equal((await release(store.tokens.alice, 'hello', 2, 'latest/beta')).statusCode, 200);
  const res = await release(store.tokens.alice, 'hello', 3, '2.0/edge');
  assert.equal(res.statusCode, 200, res.body);
  const expected = {
    'latest/stable': { revision: 1, version: '1.0' }, 'latest/beta': { revision: 2, version: '1.1' }, '2.0/edge': { revision: 3, version: '1.2' },
  };
  assert.deepEqual(res.json().channels, expected);
  assert.deepEqual(channelMapOnDisk('hello'), { name: 'hello', channels: expected, architectures: everyArch(expected) });
  assert.deepEqual(Object.keys(channelMapOnDisk('hello').channels), ['latest/stable', 'latest/beta', '2.0/edge']);
  const info = (await store.app.inject({ method: 'GET', url: '/v1/apps/hello' })).json();
  assert.equal(info.channels['latest/beta'].revision, 2);
});

test('releasing what is already released changes nothing', async () => {
  const before = storeState(store);
  const res = await release(store.tokens.alice, 'hello', 1, 'latest/stable');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json().metadata.files, []);
  const after = JSON.parse(storeState(store));
  const prev = JSON.parse(before);
  assert.deepEqual(after.repo, prev.repo);
});

test('refusals: 401, 403, 404 unknown app or revision, 400 malformed channel; nothing stored', async () => {
  const cases: [number, string, () => ReturnType<typeof release>][] = [
    [401, 'unauthorized', () => release('skiff_bad', 'hello', 1, 'edge')],
    [403, 'forbidden', () => release(store.tokens.bob, 'hello', 1, 'edge')],
    [404, 'revision-not-found', () => release(store.tokens.alice, 'hello', 99, 'edge')],
    [404, 'app-not-found', () => release(store.tokens.alice, 'nope', 1, 'edge')],
    [400, 'channel-invalid', () => release(store.tokens.alice, 'hello', 1, 'latest/unstable')],
    [400, 'channel-invalid', () => release(store.tokens.alice, 'hello', 1, 'a/b/stable')],
    [400, 'channel-invalid', () => release(store.tokens.alice, 'hello', 1, 'Latest/stable')],
    [400, 'bad-request', () => release(store.tokens.alice, 'hello', 0, 'edge')],
    [401, 'unauthorized', () => close('skiff_bad', 'hello', 'edge')],
    [403, 'forbidden', () => close(store.tokens.bob, 'hello', 'latest/beta')],
    [404, 'channel-not-open', () => close(store.tokens.alice, 'hello', 'latest/candidate')],
    [400, 'channel-invalid', () => close(store.tokens.alice, 'hello', 'sideways')],
  ];
  for (const [status, code, run] of cases) {
    const before = storeState(store);
    const res = await run();
    assert.equal(res.statusCode, status, `${code}: ${res.body}`);
    assert.equal(res.json().error.code, code);
    assert.equal(storeState(store), before, `${code} changed the store`);
  }
});

test('closing a channel removes it from the map (and only it)', async () => {
  const res = await close(store.tokens.alice, 'hello', 'beta');
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(Object.keys(res.json().channels), ['latest/stable', '2.0/edge']);
  assert.deepEqual(Object.keys(channelMapOnDisk('hello').channels), ['latest/stable', '2.0/edge']);
  assert.equal(res.json().metadata.files.length, 3, 'the map bin, snapshot, timestamp');
});

test('versions strictly increase over releases; the server re-signs the timestamp before it expires', async () => {
  const v0 = store.ctx.tuf.versions;
  assert.equal((await release(store.tokens.alice, 'hello', 2, 'candidate')).statusCode, 200);
  const v1 = store.ctx.tuf.versions;
  assert.equal(v1.snapshot, v0.snapshot + 1);
  assert.equal(v1.timestamp, v0.timestamp + 1);
  // Nothing is due right now.
  assert.equal(store.app.store.releases.refreshExpiring(), null);
  // 20 hours on: within the 6 h margin of the 24 h timestamp, only the timestamp is re-signed.
  const later = new Date(Date.now() + 20 * 3600 * 1000);
  const report = store.app.store.releases.refreshExpiring(later)!;
  assert.deepEqual(report.files.map((f) => f.name), ['timestamp.json']);
  assert.equal(store.ctx.tuf.versions.timestamp, v1.timestamp + 1);
  assert.equal(store.ctx.tuf.versions.snapshot, v1.snapshot);
  assert.ok(store.ctx.tuf.timestampExpires.getTime() > later.getTime() + 23 * 3600 * 1000);
  // 6 days on: the snapshot (7 d, 2 d margin) is due too.
  const report2 = store.app.store.releases.refreshExpiring(new Date(Date.now() + 6 * 24 * 3600 * 1000))!;
  assert.deepEqual(report2.files.map((f) => f.name).sort(), [`${v1.snapshot + 1}.snapshot.json`, 'timestamp.json']);
});

test('a release signed but never recorded (crash before the SQLite commit) is rolled forward to the database view', async () => {
  const recorded = channelMapOnDisk('hello');
  // What the crash leaves: metadata committed for a channel change the database never saw.
  store.ctx.tuf.publishApp({ name: 'hello', channels: { 'latest/stable': { revision: 3, version: '1.2' } } }, []);
  assert.notDeepEqual(channelMapOnDisk('hello'), recorded);
  const v = store.ctx.tuf.versions.timestamp;
  const fixed = store.app.store.releases.reconcile();
  assert.deepEqual(fixed.apps, ['hello']);
  assert.deepEqual(channelMapOnDisk('hello'), recorded);
  assert.equal(store.ctx.tuf.versions.timestamp, v + 1, 'a new version, never an old one again');
  assert.deepEqual(store.app.store.releases.reconcile(), { apps: [], report: null });
});

test('superseded metadata versions are deleted once their successor is older than the retention; current ones never', () => {
  assert.deepEqual(store.ctx.tuf.pruneSuperseded(), [], 'nothing is old enough yet');
  const deleted = store.ctx.tuf.pruneSuperseded(new Date(Date.now() + 3 * 24 * 3600 * 1000));
  assert.ok(deleted.includes('1.snapshot.json'), deleted.join(' '));
  assert.ok(!deleted.some((f) => f.endsWith('.root.json')), 'root versions stay: devices walk them');
  const files = new Set(readdirSync(metadataDir()));
  const timestamp = readJson(join(metadataDir(), 'timestamp.json'));
  const snapshotFile = `${timestamp.signed.meta['snapshot.json'].version}.snapshot.json`;
  assert.ok(files.has(snapshotFile));
  for (const [file, meta] of Object.entries(readJson(join(metadataDir(), snapshotFile)).signed.meta as Record<string, { version: number }>)) {
    assert.ok(files.has(`${meta.version}.${file}`), `current ${meta.version}.${file} was deleted`);
  }
  for (const f of deleted) assert.ok(!files.has(f) && !files.has(`${f}.gz`), f);
  assert.ok(files.has('1.root.json') && files.has('root.json'));
});
