// Re-binning a store (`skiff-store rebin`, offline): a device installed on the old layout refreshes
// across it through normal TUF updates, and tuf-js given only root.json still verifies every target.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { publishBundle, runStoreCli, startStore, SKIFF_STORE_BIN, type RunningStore } from '../src/store';
import { skiff, skiffJson, makeBundle, cleanupRoot, rootSkipReason, type ListedApp } from '../src/device-fixture';
import { spawnSync } from 'node:child_process';

const skip = rootSkipReason();
const work = mkdtempSync(join(tmpdir(), 'skiff-rebin-'));
const dataDir = join(work, 'store');
const root = join(work, 'root');
let store: RunningStore | undefined;
after(async () => {
  cleanupRoot(root);
  await store?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Every target path the store's bins list now, read from its files (timestamp, snapshot, targets, bins). */
function listedTargets(): Map<string, string> {
  const md = (f: string) => JSON.parse(readFileSync(join(dataDir, 'repo', 'metadata', f), 'utf8')).signed;
  const snapshot = md(`${md('timestamp.json').meta['snapshot.json'].version}.snapshot.json`);
  const roles = md(`${snapshot.meta['targets.json'].version}.targets.json`).delegations.succinct_roles;
  const all = new Map<string, string>();
  for (const [file, meta] of Object.entries(snapshot.meta as Record<string, { version: number }>)) {
    const m = /^(.+)-([0-9a-f]+)\.json$/.exec(file);
    // Only the bins of the current layout (the snapshot keeps listing earlier ones).
    if (!m || m[1] !== roles.name_prefix || m[2]!.length !== Math.ceil(roles.bit_length / 4)) continue;
    for (const [path, t] of Object.entries(md(`${meta.version}.${file}`).targets as Record<string, { hashes: { sha256: string } }>)) all.set(path, t.hashes.sha256);
  }
  return all;
}

test('a device installed before a re-bin refreshes after it; tuf-js with only root.json verifies every target', { skip }, async () => {
  store = await startStore({ dataDir });
  const hostPort = new URL(store.url).host;
  const setup = skiff(root, ['setup', '--store', store.url, '--trust', store.rootJsonPath]);
  assert.equal(setup.status, 0, setup.stderr);
  await publishBundle(store, await makeBundle(work, { name: 'hello', version: '1.0' }), { channel: 'stable' });
  await publishBundle(store, await makeBundle(work, { name: 'other', version: '1.0' }), { channel: 'stable' });
  assert.equal(skiff(root, ['install', 'hello']).status, 0);
  const before = listedTargets();

  // Refused while the server runs: it would go on signing the old layout.
  const busy = spawnSync(process.execPath, [SKIFF_STORE_BIN, 'rebin', '--data', dataDir, '--bits', '3'], { encoding: 'utf8' });
  assert.equal(busy.status, 1);
  assert.match(busy.stderr, /another skiff-store serve \(pid \d+\) is running/);

  await store.stop();
  const out = runStoreCli(['rebin', '--data', dataDir, '--bits', '3']);
  assert.match(out.at(-1)!, new RegExp(`^moved ${before.size} targets into 8 hashed bins: targets version 2, `));
  assert.deepEqual(listedTargets(), before, 'every target is listed once, unchanged, in the new bins');
  store = await startStore({ dataDir, token: store.token, serveArgs: ['--listen', hostPort] });

  const r2 = (await publishBundle(store, await makeBundle(work, { name: 'hello', version: '1.1' }), { channel: 'stable' })).revision;
  const refresh = skiff(root, ['refresh', 'hello']);
  assert.equal(refresh.status, 0, refresh.stderr);
  const hello = skiffJson<ListedApp[]>(root, ['list', '--json']).find((a) => a.name === 'hello');
  assert.equal(hello?.revision, r2);
  assert.equal(hello?.version, '1.1');

  // A fresh device with only the root.json printed at init: every target verifies and downloads.
  const metadataDir = join(work, 'fresh', 'metadata');
  const targetDir = join(work, 'fresh', 'targets');
  mkdirSync(metadataDir, { recursive: true });
  mkdirSync(targetDir, { recursive: true });
  copyFileSync(store.rootJsonPath, join(metadataDir, 'root.json'));
  const updater = new Updater({ metadataBaseUrl: `${store.url}/repo/metadata`, targetBaseUrl: `${store.url}/repo/targets`, metadataDir, targetDir });
  await updater.refresh();
  const targets = listedTargets();
  assert.ok(targets.size > before.size);
  for (const [path, sha256] of targets) {
    const info = await updater.getTargetInfo(path);
    assert.equal(info?.hashes.sha256, sha256, path);
    await updater.downloadTarget(info!, join(targetDir, path.replaceAll('/', '_')));
  }
});
