import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHITECTURES, channelMapTargetPath } from '@skiff/bundle';
import { openDatabase } from '../src/db';
import { openTestStore, auth, makeBundle, registerKey, uploadHeaders, type TestStore } from './helpers';

let store: TestStore;
let work: string;
before(async () => {
  store = await openTestStore();
  work = mkdtempSync(join(tmpdir(), 'skiff-arch-test-'));
});
after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

const entry = (revision: number, version: string) => ({ revision, version });
const release = (revision: number, channel: string) =>
  store.app.inject({ method: 'POST', url: '/v1/apps/multi/releases', headers: auth(store.tokens.alice), payload: { revision, channel } });

function signedMap(name: string) {
  const path = channelMapTargetPath(name);
  const target = store.ctx.tuf.bin(store.ctx.tuf.binFor(path))!.signed.targets[path]!;
  return JSON.parse(readFileSync(join(store.dir, 'repo', 'targets', 'apps', name, `${target.hashes.sha256}.channels.json`), 'utf8'));
}

test('a release sets the channel for each architecture the revision has; `all` for every one; old devices see only shared channels', async () => {
  const pub = await registerKey(store.app, store.tokens.alice);
  await store.app.inject({ method: 'POST', url: '/v1/apps', headers: auth(store.tokens.alice), payload: { name: 'multi' } });
  const uploads: unknown[] = [];
  for (const [version, architectures] of [['1.0', ['amd64']], ['1.0', ['arm64', 'riscv64']], ['2.0', undefined]] as const) {
    const b = await makeBundle(work, { name: 'multi', version, ...(architectures ? { architectures: [...architectures] } : {}) });
    const r = await store.app.inject({ method: 'POST', url: '/v1/uploads', headers: uploadHeaders(store.tokens.alice, pub, 'multi', b.bytes), payload: b.bytes });
    assert.equal(r.statusCode, 201, r.body);
    uploads.push(r.json().architectures);
  }
  assert.deepEqual(uploads, [['amd64'], ['arm64', 'riscv64'], 'all']);

  assert.deepEqual((await release(1, 'stable')).json().released, ['amd64']);
  const res = await release(2, 'stable');
  assert.deepEqual(res.json().released, ['arm64', 'riscv64']);
  const split = { amd64: { 'latest/stable': entry(1, '1.0') }, arm64: { 'latest/stable': entry(2, '1.0') }, riscv64: { 'latest/stable': entry(2, '1.0') } };
  assert.deepEqual(res.json().architectures, split);
  assert.deepEqual(res.json().channels, {}, 'no channel holds one revision for every architecture');
  assert.deepEqual(signedMap('multi'), { name: 'multi', channels: {}, architectures: split });

  // An `all` revision on beta reaches every architecture, and is what devices from before architectures read.
  await release(3, 'beta');
  const map = signedMap('multi');
  assert.deepEqual(map.channels, { 'latest/beta': entry(3, '2.0') });
  for (const a of ARCHITECTURES) assert.deepEqual(map.architectures[a]['latest/beta'], entry(3, '2.0'), a);
  assert.equal(map.architectures.i386['latest/stable'], undefined, 'i386 has no stable build');

  const info = (await store.app.inject({ method: 'GET', url: '/v1/apps/multi' })).json();
  assert.deepEqual(info.revisions.map((r: { architectures: unknown }) => r.architectures), [['amd64'], ['arm64', 'riscv64'], 'all']);
  assert.equal(info.architectures.arm64['latest/stable'].revision, 2);
  assert.equal(info.architectures.amd64['latest/stable'].revision, 1);
  assert.deepEqual(Object.keys(info.channels), ['latest/beta']);

  // `all` to stable replaces both builds there.
  await release(3, 'stable');
  assert.deepEqual(signedMap('multi').channels, { 'latest/stable': entry(3, '2.0'), 'latest/beta': entry(3, '2.0') });
  const closed = await store.app.inject({ method: 'POST', url: '/v1/apps/multi/close', headers: auth(store.tokens.alice), payload: { channel: 'beta' } });
  assert.equal(closed.statusCode, 200, closed.body);
  assert.deepEqual(Object.keys(signedMap('multi').architectures.s390x), ['latest/stable']);
});

test('the schema migration keeps every channel released before architectures, for every architecture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-arch-db-'));
  try {
    const path = join(dir, 'store.db');
    const old = openDatabase(path, { create: true, migrations: 1 });
    old.exec(`INSERT INTO accounts VALUES (1, 'alice', 'x', '2026-01-01T00:00:00Z');
      INSERT INTO apps VALUES (1, 'hello', 1, 'hi', '2026-01-01T00:00:00Z');
      INSERT INTO revisions VALUES (1, 1, '${'a'.repeat(64)}', 10, '1.0', 'k', '2026-01-01T00:00:00Z');
      INSERT INTO channels VALUES (1, 'latest/stable', 1, '2026-01-02T00:00:00Z');`);
    old.close();
    const db = openDatabase(path);
    try {
      assert.equal(db.pragma('user_version', { simple: true }), 5); // manifests (2), architectures (3), delta jobs (4), indexes (5)
      assert.equal((db.prepare('SELECT architectures FROM revisions').get() as { architectures: string }).architectures, 'all');
      const rows = db.prepare('SELECT channel, architecture, revision, released FROM channels ORDER BY architecture').all();
      assert.deepEqual(rows, [...ARCHITECTURES].sort().map((architecture) => ({ channel: 'latest/stable', architecture, revision: 1, released: '2026-01-02T00:00:00Z' })));
    } finally { db.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
