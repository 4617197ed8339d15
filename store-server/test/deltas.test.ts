import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { bundleTargetPath, deltaTargetPath, packBundle } from '@skiff/bundle';
import { deltaSources } from '../src/deltas/service';
import { openTestStore, auth, makeBundle, registerKey, uploadHeaders, type TestStore } from './helpers';

let store: TestStore;
let work: string;
let pub: Awaited<ReturnType<typeof registerKey>>;
before(async () => {
  store = await openTestStore({ deltaSourceRevisions: 2, deltaMaxPercentOfBundle: 50 });
  work = mkdtempSync(join(tmpdir(), 'skiff-delta-test-'));
  pub = await registerKey(store.app, store.tokens.alice);
  await store.app.inject({ method: 'POST', url: '/v1/apps', headers: auth(store.tokens.alice), payload: { name: 'hello' } });
});
after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

async function upload(version: string, padBytes: number): Promise<number> {
  const b = await makeBundle(work, { name: 'hello', version, padBytes });
  const r = await store.app.inject({ method: 'POST', url: '/v1/uploads', headers: uploadHeaders(store.tokens.alice, pub, 'hello', b.bytes), payload: b.bytes });
  assert.equal(r.statusCode, 201, r.body);
  return r.json().revision as number;
}
const release = async (revision: number, channel: string) => {
  const r = await store.app.inject({ method: 'POST', url: `/v1/apps/hello/releases`, headers: auth(store.tokens.alice), payload: { revision, channel } });
  assert.equal(r.statusCode, 200, r.body);
};

test('sources: the channel\'s previous revision first, then the newest earlier ones, up to the setting', () => {
  assert.deepEqual(deltaSources([1, 2, 3, 4, 5], 5, 2, 2), [2, 4]);
  assert.deepEqual(deltaSources([1, 2, 3], 3, undefined, 2), [2, 1]);
  assert.deepEqual(deltaSources([1, 2, 3], 1, undefined, 2), []);
  assert.deepEqual(deltaSources([1, 2, 3], 3, 3, 5), [2, 1]);
});

test('a delta not smaller than the set fraction of its bundle is not published', async () => {
  // Bundles of ~200 KB whose content differs only in a small padding file and the manifest.
  const r1 = await upload('1.0', 200_000);
  await release(r1, 'stable');
  await store.app.store.deltas.idle();
  const r2 = await upload('1.1', 200_000);
  const r3 = await upload('1.2', 200_000);
  await release(r2, 'stable');
  await release(r3, 'stable');
  await store.app.store.deltas.idle();
  const { tuf } = store.ctx;
  // Random padding makes every pair differ by a whole 200 KB file: too big beside the bundle, so none published.
  for (const [from, to] of [[r1, r2], [r2, r3], [r1, r3]]) assert.equal(tuf.target(deltaTargetPath('hello', from!, to!)), undefined);
});

test('a delta of a small change is published as a target beside the bundle (custom: source, target, full bundle); deleted when its revision leaves the channels', async () => {
  const src = join(work, 'tree');
  mkdirSync(join(src, 'meta'), { recursive: true });
  mkdirSync(join(src, 'bin'), { recursive: true });
  writeFileSync(join(src, 'bin', 'hello'), '#!/bin/sh\necho hello\n');
  chmodSync(join(src, 'bin', 'hello'), 0o755);
  writeFileSync(join(src, 'data.bin'), randomBytes(300_000));
  const revs: number[] = [];
  for (const version of ['2.0', '2.1']) {
    writeFileSync(join(src, 'meta', 'app.yaml'), `name: hello\nversion: '${version}'\nsummary: s\napps:\n  hello:\n    command: bin/hello\n`);
    const bytes = readFileSync((await packBundle(src, join(work, `out-${version}`))).path);
    const r = await store.app.inject({ method: 'POST', url: '/v1/uploads', headers: uploadHeaders(store.tokens.alice, pub, 'hello', bytes), payload: bytes });
    revs.push(r.json().revision as number);
  }
  const [a, b] = revs as [number, number];
  await release(a, 'edge');
  await release(b, 'edge');
  // Kept in the database from the release until done (a restart runs it again).
  assert.ok(store.app.store.deltas.pending().some((j) => j.name === 'hello' && j.source === a && j.target === b), 'job a→b queued');
  await store.app.store.deltas.idle();
  assert.deepEqual(store.app.store.deltas.pending(), [], 'a done job leaves the table');
  const { tuf } = store.ctx;
  const path = deltaTargetPath('hello', a, b);
  const delta = tuf.target(path);
  assert.ok(delta, 'delta published');
  const bundle = tuf.target(bundleTargetPath('hello', b))!;
  assert.deepEqual(delta.custom, { name: 'hello', source: a, target: b, bundleSha256: bundle.hashes.sha256, bundleLength: bundle.length });
  assert.ok(delta.length < bundle.length / 10, `${delta.length} bytes beside ${bundle.length}`);
  const served = await store.app.inject({ method: 'GET', url: `/repo/targets/apps/hello/${delta.hashes.sha256}.${b}.from-${a}.delta` });
  assert.equal(served.statusCode, 200);
  assert.equal(createHash('sha256').update(served.rawPayload).digest('hex'), delta.hashes.sha256);

  // b leaves every channel: its deltas go with it (at the next delta job of the app).
  const file = tuf.targetFile(path, delta.hashes.sha256!);
  await release(a, 'edge');
  const c = await upload('2.2', 100);
  await release(c, 'edge');
  await store.app.store.deltas.idle();
  assert.equal(tuf.target(path), undefined, 'retired delta no longer signed');
  assert.equal(existsSync(file), false, 'retired delta file deleted');
});
