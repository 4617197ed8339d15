// A device's view of the store: tuf-js, given only the root.json printed by init, verifies and
// downloads a released bundle and its channel map, from the store itself and from nginx over DATA/repo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, copyFileSync, readFileSync, statSync } from 'node:fs';
import { StoreFetcher } from '@skiff/client/dist/src/trust/fetcher';
import { trustSettings } from '@skiff/client/dist/src/trust';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Updater } from 'tuf-js';
import { startStore, publishBundle, releaseRevision, type RunningStore } from '../src/store';
import { packTestBundle } from '../src/store-fixtures';
import { startNginx, type RunningNginx } from '../src/nginx';
import { ARCHITECTURES } from '@skiff/bundle';

/** An `all` revision's channels hold for every architecture. */
const everyArch = (channels: object) => Object.fromEntries(ARCHITECTURES.map((a) => [a, channels]));

let store: RunningStore;
let work: string;
let bundle: { path: string; sha256: string; size: number };
before(async () => {
  store = await startStore();
  work = mkdtempSync(join(tmpdir(), 'skiff-store-tuf-'));
  bundle = await packTestBundle(work, { name: 'hello', version: '1.2', padBytes: 200_000 });
  const published = await publishBundle(store, bundle.path, { channel: 'stable' });
  assert.equal(published.revision, 1);
});
after(async () => {
  await store?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh device: a trust folder holding only the shipped root.json. */
function device(baseUrl: string) {
  const dir = mkdtempSync(join(work, 'device-'));
  const metadataDir = join(dir, 'metadata');
  const targetDir = join(dir, 'targets');
  mkdirSync(metadataDir);
  mkdirSync(targetDir);
  copyFileSync(store.rootJsonPath, join(metadataDir, 'root.json'));
  return new Updater({ metadataBaseUrl: `${baseUrl}/repo/metadata`, targetBaseUrl: `${baseUrl}/repo/targets`, metadataDir, targetDir });
}

async function verifyAndDownload(updater: Updater, dir: string) {
  await updater.refresh();
  const mapInfo = await updater.getTargetInfo('apps/hello/channels.json');
  assert.ok(mapInfo, 'the channel map is a target');
  const mapFile = await updater.downloadTarget(mapInfo, join(dir, 'channels.json'));
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  const bundleInfo = await updater.getTargetInfo(`apps/hello/${map.channels['latest/stable'].revision}.skiff`);
  assert.ok(bundleInfo);
  const file = await updater.downloadTarget(bundleInfo, join(dir, 'hello.skiff'));
  return { map, bundleInfo, bytes: readFileSync(file) };
}

test('tuf-js with only root.json verifies and downloads the released bundle and its channel map', async () => {
  const { map, bundleInfo, bytes } = await verifyAndDownload(device(store.url), work);
  const stable1 = { 'latest/stable': { revision: 1, version: '1.2' } };
  assert.deepEqual(map, { name: 'hello', channels: stable1, architectures: everyArch(stable1) });
  assert.deepEqual(bundleInfo.custom, { name: 'hello', revision: 1, version: '1.2', publisher: 'publisher' });
  assert.equal(createHash('sha256').update(bytes).digest('hex'), bundle.sha256);
});

test('after another release and a close, a device sees the new channel map', async () => {
  const b2 = await packTestBundle(work, { name: 'hello', version: '1.3' });
  const p2 = await publishBundle(store, b2.path, { channel: 'beta' });
  assert.equal(p2.revision, 2);
  await releaseRevision(store, 'hello', 2, 'stable');
  await releaseRevision(store, 'hello', null, 'beta');
  const dir = mkdtempSync(join(work, 'dl-'));
  const { map, bytes } = await verifyAndDownload(device(store.url), dir);
  const stable2 = { 'latest/stable': { revision: 2, version: '1.3' } };
  assert.deepEqual(map, { name: 'hello', channels: stable2, architectures: everyArch(stable2) });
  assert.equal(createHash('sha256').update(bytes).digest('hex'), b2.sha256);
});

test('nginx serving DATA/repo is enough for a device', async (t) => {
  let nginx: RunningNginx;
  try {
    nginx = await startNginx(join(store.dataDir, 'repo'));
  } catch (err) {
    t.skip(`nginx unavailable: ${(err as Error).message}`);
    return;
  }
  try {
    const dir = mkdtempSync(join(work, 'nginx-'));
    const { map, bytes } = await verifyAndDownload(device(nginx.url), dir);
    assert.equal(map.channels['latest/stable'].revision, 2);
    const info = JSON.parse((await (await fetch(`${store.url}/v1/apps/hello`)).text()));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), info.revisions[1].sha256);
  } finally {
    await nginx.stop();
  }
});

test('versioned metadata travels as its precompressed .gz, from nginx (gzip_static) and from the store; the device inflates it', async (t) => {
  let nginx: RunningNginx;
  try {
    nginx = await startNginx(join(store.dataDir, 'repo'));
  } catch (err) {
    t.skip(`nginx unavailable: ${(err as Error).message}`);
    return;
  }
  t.after(() => nginx.stop());
  const metadata = join(store.dataDir, 'repo', 'metadata');
  const version = JSON.parse(readFileSync(join(metadata, 'timestamp.json'), 'utf8')).signed.meta['snapshot.json'].version;
  const file = `${version}.snapshot.json`;
  const fetcher = new StoreFetcher(trustSettings());
  for (const base of [nginx.url, store.url]) {
    const url = `${base}/repo/metadata/${file}`;
    const res = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.headers.get('content-encoding'), 'gzip', base);
    assert.equal(Number(res.headers.get('content-length')), statSync(join(metadata, `${file}.gz`)).size, base);
    assert.deepEqual(await fetcher.downloadBytes(url, 2 * 1024 * 1024), readFileSync(join(metadata, file)), base);
    // The cap applies to the inflated bytes.
    await assert.rejects(fetcher.downloadBytes(url, 100), /more than the 100 bytes allowed/);
  }
});
