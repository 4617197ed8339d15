import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { openTestStore, auth, makeBundle, registerKey, uploadHeaders, storeState, waitFor, type TestStore, type Publisher } from './helpers';

const LIMIT = 256 * 1024;
let store: TestStore;
let work: string;
let alice: Publisher;
let bob: Publisher;
before(async () => {
  store = await openTestStore({ maxUploadBytes: LIMIT });
  work = mkdtempSync(join(tmpdir(), 'skiff-upload-test-'));
  alice = await registerKey(store.app, store.tokens.alice);
  bob = await registerKey(store.app, store.tokens.bob);
  for (const [token, name] of [[store.tokens.alice, 'hello'], [store.tokens.bob, 'bobapp']] as const) {
    const r = await store.app.inject({ method: 'POST', url: '/v1/apps', headers: auth(token), payload: { name } });
    assert.equal(r.statusCode, 201);
  }
});
after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

const upload = (headers: Record<string, string>, payload: Buffer | Readable) =>
  store.app.inject({ method: 'POST', url: '/v1/uploads', headers, payload });

/** Runs a refused request and checks its status, code, and that nothing at all was stored. */
async function refused(status: number, code: string | RegExp, run: () => Promise<{ statusCode: number; json(): any; body: string }>) {
  const before = storeState(store);
  const res = await run();
  assert.equal(res.statusCode, status, res.body);
  if (typeof code === 'string') assert.equal(res.json().error.code, code);
  else assert.match(res.json().error.message, code);
  assert.equal(storeState(store), before, 'a refusal changed the store');
  return res;
}

test('an upload gets revision 1, then 2; blobs are content-addressed; info lists both', async () => {
  const b1 = await makeBundle(work, { name: 'hello', version: '1.0', summary: 'Says hello' });
  const r1 = await upload(uploadHeaders(store.tokens.alice, alice, 'hello', b1.bytes), b1.bytes);
  assert.equal(r1.statusCode, 201, r1.body);
  assert.deepEqual(r1.json(), { name: 'hello', revision: 1, version: '1.0', sha256: b1.sha256, size: b1.bytes.length, architectures: 'all' });
  assert.ok(existsSync(join(store.dir, 'blobs', b1.sha256)));

  const b2 = await makeBundle(work, { name: 'hello', version: '1.1', summary: 'Says hello twice' });
  const r2 = await upload(uploadHeaders(store.tokens.alice, alice, 'hello', b2.bytes), Readable.from([b2.bytes.subarray(0, 1000), b2.bytes.subarray(1000)]));
  assert.equal(r2.statusCode, 201, r2.body);
  assert.equal(r2.json().revision, 2);

  const info = (await store.app.inject({ method: 'GET', url: '/v1/apps/hello' })).json();
  assert.deepEqual(info.revisions.map((r: { revision: number; version: string }) => [r.revision, r.version]), [[1, '1.0'], [2, '1.1']]);
  assert.equal(info.summary, 'Says hello twice');
  const found = (await store.app.inject({ method: 'GET', url: '/v1/search?q=twice' })).json();
  assert.deepEqual(found.results.map((r: { name: string }) => r.name), ['hello']);
});

test('the same bundle again is a duplicate: 409, nothing stored', async () => {
  const b = await makeBundle(work, { name: 'hello', version: '2.0' });
  assert.equal((await upload(uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes), b.bytes)).statusCode, 201);
  await refused(409, 'duplicate-upload', () => upload(uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes), b.bytes));
});

test('no token or a wrong one: 401, nothing stored', async () => {
  const b = await makeBundle(work, { name: 'hello', version: '3.0' });
  const h = uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes);
  await refused(401, 'unauthorized', () => upload({ ...h, authorization: '' }, b.bytes));
  await refused(401, 'unauthorized', () => upload({ ...h, ...auth('skiff_x') }, b.bytes));
});

test("uploading another publisher's app, or an unregistered name: 403, nothing stored", async () => {
  const b = await makeBundle(work, { name: 'bobapp' });
  await refused(403, 'forbidden', () => upload(uploadHeaders(store.tokens.alice, alice, 'bobapp', b.bytes), b.bytes));
  const u = await makeBundle(work, { name: 'unclaimed' });
  await refused(403, 'forbidden', () => upload(uploadHeaders(store.tokens.alice, alice, 'unclaimed', u.bytes), u.bytes));
});

test('GET /v1/uploads/limits tells clients the size limit', async () => {
  const res = await store.app.inject({ method: 'GET', url: '/v1/uploads/limits' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { maxUploadBytes: LIMIT });
});

test('a bundle over the size limit: 413, nothing stored (declared or streamed)', async () => {
  const b = await makeBundle(work, { name: 'hello', version: 'big', padBytes: LIMIT + 4096 });
  assert.ok(b.bytes.length > LIMIT);
  await refused(413, 'too-large', () => upload(uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes), b.bytes));
  // Without a Content-Length the limit is enforced while the stream arrives.
  await refused(413, 'too-large', () => upload(uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes),
    Readable.from((function* () { for (let i = 0; i < b.bytes.length; i += 16384) yield b.bytes.subarray(i, i + 16384); })())));
});

test('a bundle that fails validation: 400 naming the problem, nothing stored', async () => {
  const junk = randomBytes(8192);
  const res = await refused(400, 'bundle-invalid', () => upload(uploadHeaders(store.tokens.alice, alice, 'hello', junk), junk));
  assert.match(res.json().error.message, /squashfs|magic|bundle/i);
  await refused(400, 'bundle-invalid', () => upload(uploadHeaders(store.tokens.alice, alice, 'hello', Buffer.alloc(0)), Buffer.alloc(0)));
});

test('an upload whose client goes away mid-stream leaves nothing stored, not even a temp file', async () => {
  const b = await makeBundle(work, { name: 'hello', version: '4.5' });
  const before = storeState(store);
  const { 'content-length': _cl, ...headers } = { ...uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes), 'content-length': '' };
  // Many times: the client may vanish before or after the server opens its temp file.
  for (let i = 0; i < 20; i++) {
    let sent = false;
    const broken = new Readable({
      read() {
        if (!sent) { sent = true; this.push(b.bytes.subarray(0, 1000)); } else this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(upload(headers, broken), /connection reset/);
    // Once the server has finished with the upload, nothing of it may be left.
    await waitFor(() => store.app.store.uploads.inFlight() === 0, 'the interrupted upload to finish');
    assert.equal(storeState(store), before, `attempt ${i + 1}`);
  }
});

test('a bad publisher signature: 400, nothing stored', async () => {
  const b = await makeBundle(work, { name: 'hello', version: '4.0' });
  const good = uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes);
  // Signed over other bytes.
  const other = uploadHeaders(store.tokens.alice, alice, 'hello', Buffer.concat([b.bytes, Buffer.from('x')]));
  await refused(400, 'signature-invalid', () => upload({ ...good, 'skiff-signature': other['skiff-signature']! }, b.bytes));
  // Bob's key, registered to Bob, used by Alice.
  await refused(400, 'signature-invalid', () => upload({ ...uploadHeaders(store.tokens.alice, bob, 'hello', b.bytes) }, b.bytes));
  // Unknown key id; malformed signature header.
  await refused(400, 'signature-invalid', () => upload({ ...good, 'skiff-key-id': 'ab'.repeat(32) }, b.bytes));
  await refused(400, 'bad-request', () => upload({ ...good, 'skiff-signature': 'nothex' }, b.bytes));
  const { 'skiff-key-id': _dropped, ...noKey } = good;
  await refused(400, 'bad-request', () => upload(noKey, b.bytes));
});

test('a body that is not application/octet-stream: 415, nothing stored', async () => {
  const b = await makeBundle(work, { name: 'hello', version: '5.0' });
  await refused(415, 'unsupported-media-type', () => upload({ ...uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes), 'content-type': 'text/plain' }, b.bytes));
});

test('revisions stay strictly increasing per app, independent of other apps', async () => {
  const b = await makeBundle(work, { name: 'bobapp' });
  const r = await upload(uploadHeaders(store.tokens.bob, bob, 'bobapp', b.bytes), b.bytes);
  assert.equal(r.statusCode, 201, r.body);
  assert.equal(r.json().revision, 1);
});
