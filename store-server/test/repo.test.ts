import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestStore, auth, makeBundle, registerKey, uploadHeaders, type TestStore } from './helpers';

let store: TestStore;
let work: string;
let sha: string;
let bytes: Buffer;
before(async () => {
  store = await openTestStore();
  work = mkdtempSync(join(tmpdir(), 'skiff-repo-test-'));
  const pub = await registerKey(store.app, store.tokens.alice);
  await store.app.inject({ method: 'POST', url: '/v1/apps', headers: auth(store.tokens.alice), payload: { name: 'hello' } });
  const b = await makeBundle(work, { name: 'hello', padBytes: 4096 });
  ({ sha256: sha, bytes } = b);
  await store.app.inject({ method: 'POST', url: '/v1/uploads', headers: uploadHeaders(store.tokens.alice, pub, 'hello', b.bytes), payload: b.bytes });
  const r = await store.app.inject({ method: 'POST', url: '/v1/apps/hello/releases', headers: auth(store.tokens.alice), payload: { revision: 1, channel: 'stable' } });
  assert.equal(r.statusCode, 200);
});
after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

test('timestamp.json: current bytes, a short cache, ETag and 304', async () => {
  const res = await store.app.inject({ method: 'GET', url: '/repo/metadata/timestamp.json' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'public, max-age=10');
  assert.equal(res.body, readFileSync(join(store.dir, 'repo', 'metadata', 'timestamp.json'), 'utf8'));
  const etag = res.headers.etag as string;
  assert.ok(etag);
  const again = await store.app.inject({ method: 'GET', url: '/repo/metadata/timestamp.json', headers: { 'if-none-match': etag } });
  assert.equal(again.statusCode, 304);
});

test('versioned metadata and targets are immutable, with ETag and Range', async () => {
  const root = await store.app.inject({ method: 'GET', url: '/repo/metadata/1.root.json' });
  assert.equal(root.statusCode, 200);
  assert.equal(root.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.ok(root.headers.etag);

  const url = `/repo/targets/apps/hello/${sha}.1.skiff`;
  const full = await store.app.inject({ method: 'GET', url });
  assert.equal(full.statusCode, 200);
  assert.equal(full.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.ok(full.rawPayload.equals(bytes));
  const part = await store.app.inject({ method: 'GET', url, headers: { range: 'bytes=100-199' } });
  assert.equal(part.statusCode, 206);
  assert.equal(part.headers['content-range'], `bytes 100-199/${bytes.length}`);
  assert.ok(part.rawPayload.equals(bytes.subarray(100, 200)));
  const notModified = await store.app.inject({ method: 'GET', url, headers: { 'if-none-match': full.headers.etag as string } });
  assert.equal(notModified.statusCode, 304);
});

test('nothing outside the repository is served; missing files are 404', async () => {
  for (const url of ['/repo/../store.db', '/repo/metadata/../../keys/root.json', '/repo/metadata/99.snapshot.json', '/repo/metadata/.timestamp.json.1.tmp']) {
    const res = await store.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
  }
  // Only regular files are served: a folder is not listed.
  for (const url of ['/repo/', '/repo/metadata/', '/repo/metadata']) {
    const res = await store.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json().error.code, 'not-found');
  }
});

test('a symlink planted in the repository is not followed out of it: 404, never the key', async () => {
  const repo = join(store.dir, 'repo');
  const key = join(store.dir, 'keys', 'timestamp.json');
  symlinkSync(key, join(repo, 'metadata', 'leak.json'));
  symlinkSync('../../keys/root.json', join(repo, 'metadata', 'relative.json'));
  symlinkSync(join(store.dir, 'keys'), join(repo, 'keys'));
  symlinkSync(join(store.dir, 'store.db'), join(repo, 'targets', `${sha}.db`));
  for (const url of ['/repo/metadata/leak.json', '/repo/metadata/relative.json', '/repo/keys/timestamp.json', `/repo/targets/${sha}.db`]) {
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await store.app.inject({ method, url });
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.doesNotMatch(res.body, /secret/, url);
    }
  }
  // A link that stays inside the repository still resolves to a regular file there: served.
  symlinkSync('1.root.json', join(repo, 'metadata', 'alias.json'));
  assert.equal((await store.app.inject({ method: 'GET', url: '/repo/metadata/alias.json' })).statusCode, 200);
});
