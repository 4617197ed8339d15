// Releases at once: all land, metadata versions strictly increase, and the snapshot agrees with the bins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, mkdirSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { Metadata, MetadataKind, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { startStore, publishBundle, type RunningStore } from '../src/store';
import { packTestBundle } from '../src/store-fixtures';

let store: RunningStore;
let work: string;
before(async () => {
  store = await startStore();
  work = mkdtempSync(join(tmpdir(), 'skiff-store-conc-'));
});
after(async () => {
  await store?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const md = (file: string) => JSON.parse(readFileSync(join(store.dataDir, 'repo', 'metadata', file), 'utf8'));

async function release(name: string, revision: number, channel: string) {
  const res = await fetch(`${store.url}/v1/apps/${name}/releases`, {
    method: 'POST', headers: { authorization: `Bearer ${store.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ revision, channel }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { metadata: { snapshotVersion: number; timestampVersion: number } };
}

test('two releases at once both land; versions strictly increase; snapshot and bins agree', async () => {
  const names = ['alpha', 'beta-app'];
  for (const name of names) {
    const b = await packTestBundle(work, { name, version: '1.0' });
    await publishBundle(store, b.path);
  }
  const before = Metadata.fromJSON(MetadataKind.Timestamp, md('timestamp.json')) as Metadata<Timestamp>;

  // Both at once, plus a burst on one app: the store must serialize them.
  const results = await Promise.all([
    release('alpha', 1, 'stable'), release('beta-app', 1, 'stable'),
    release('alpha', 1, 'beta'), release('alpha', 1, 'edge'), release('beta-app', 1, 'candidate'),
  ]);
  const timestamps = results.map((r) => r.metadata.timestampVersion).sort((a, b) => a - b);
  const snapshots = results.map((r) => r.metadata.snapshotVersion).sort((a, b) => a - b);
  const v0 = before.signed.version;
  const s0 = before.signed.snapshotMeta.version;
  assert.deepEqual(timestamps, [v0 + 1, v0 + 2, v0 + 3, v0 + 4, v0 + 5], 'one timestamp version per release, no gaps, no repeats');
  assert.deepEqual(snapshots, [s0 + 1, s0 + 2, s0 + 3, s0 + 4, s0 + 5]);

  // The snapshot names, for every bin, a file that exists and carries that version; no newer bin file exists.
  const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, md('timestamp.json')) as Metadata<Timestamp>;
  assert.equal(timestamp.signed.version, v0 + 5);
  const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, md(`${timestamp.signed.snapshotMeta.version}.snapshot.json`)) as Metadata<Snapshot>;
  const files = readdirSync(join(store.dataDir, 'repo', 'metadata'));
  for (const [file, meta] of Object.entries(snapshot.signed.meta)) {
    const bin = Metadata.fromJSON(MetadataKind.Targets, md(`${meta.version}.${file}`)) as Metadata<Targets>;
    assert.equal(bin.signed.version, meta.version, file);
    const newest = Math.max(...files.filter((f) => f.endsWith(`.${file}`) && /^\d+\./.test(f)).map((f) => Number(f.split('.')[0])));
    assert.equal(newest, meta.version, `${file}: a bin version newer than the snapshot's`);
  }

  // A device sees both apps' maps, with every release applied.
  const dir = mkdtempSync(join(work, 'device-'));
  mkdirSync(join(dir, 'm'));
  mkdirSync(join(dir, 't'));
  copyFileSync(store.rootJsonPath, join(dir, 'm', 'root.json'));
  const updater = new Updater({ metadataBaseUrl: `${store.url}/repo/metadata`, targetBaseUrl: `${store.url}/repo/targets`, metadataDir: join(dir, 'm'), targetDir: join(dir, 't') });
  await updater.refresh();
  const maps: Record<string, string[]> = {};
  for (const name of names) {
    const info = await updater.getTargetInfo(`apps/${name}/channels.json`);
    assert.ok(info);
    const file = await updater.downloadTarget(info, join(dir, `${name}.json`));
    maps[name] = Object.keys(JSON.parse(readFileSync(file, 'utf8')).channels);
  }
  assert.deepEqual(maps, { alpha: ['latest/stable', 'latest/beta', 'latest/edge'], 'beta-app': ['latest/stable', 'latest/candidate'] });
});
