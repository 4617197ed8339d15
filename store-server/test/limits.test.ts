// Per-account limits, reserved names and the minimum upload rate, on the real app (inject).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openTestStore, auth, makeBundle, makeRawImage, registerKey, uploadHeaders, storeState, waitFor, type TestStore, type Publisher } from './helpers';

let store: TestStore;
let work: string;
let alice: Publisher;
let bob: Publisher;
before(async () => {
  store = await openTestStore({ maxNamesPerAccount: 3, maxUploadsInFlightPerAccount: 1, uploadRateIntervalSeconds: 1, uploadMinBytesPerInterval: 1024 });
  work = mkdtempSync(join(tmpdir(), 'skiff-limits-test-'));
  alice = await registerKey(store.app, store.tokens.alice);
  bob = await registerKey(store.app, store.tokens.bob);
  for (const [token, name] of [[store.tokens.alice, 'hello'], [store.tokens.bob, 'bobapp']] as const) {
    assert.equal((await register(token, name)).statusCode, 201);
  }
});
after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

const register = (token: string, name: string) => store.app.inject({ method: 'POST', url: '/v1/apps', headers: auth(token), payload: { name } });
const upload = (headers: Record<string, string>, payload: Buffer | Readable) => store.app.inject({ method: 'POST', url: '/v1/uploads', headers, payload });
const isRoot = process.getuid?.() === 0;

test('an account registers at most maxNamesPerAccount names: 403 name-limit, nothing stored', async () => {
  assert.equal((await register(store.tokens.alice, 'second')).statusCode, 201);
  assert.equal((await register(store.tokens.alice, 'third')).statusCode, 201);
  const before = storeState(store);
  const over = await register(store.tokens.alice, 'fourth');
  assert.equal(over.statusCode, 403, over.body);
  assert.equal(over.json().error.code, 'name-limit');
  assert.match(over.json().error.message, /registered 3 names, the most allowed/);
  assert.equal(storeState(store), before);
  assert.equal((await register(store.tokens.bob, 'fourth')).statusCode, 201, 'another account is not limited by alice');
});

test('names the device layout uses are reserved: bin (the wrapper folder) cannot be registered', async () => {
  for (const name of ['bin', 'skiff']) {
    const res = await register(store.tokens.bob, name);
    assert.equal(res.statusCode, 409, name);
    assert.equal(res.json().error.code, 'name-reserved');
  }
});

test('an uploaded image named bin is refused as a bundle, naming the rule', async () => {
  const bytes = await makeRawImage(work, { name: 'bin' });
  const before = storeState(store);
  const res = await upload(uploadHeaders(store.tokens.alice, alice, 'bin', bytes), bytes);
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error.code, 'bundle-invalid');
  assert.match(res.json().error.message, /meta\/app\.yaml: the name "bin" is reserved/);
  assert.equal(storeState(store), before);
});

test('an uploaded image with a file owned by another uid is refused, naming the file', { skip: isRoot ? false : 'chown to another user needs root' }, async () => {
  const bytes = await makeRawImage(work, { name: 'hello', chown: { path: 'bin/run', uid: 1000, gid: 1000 } });
  const before = storeState(store);
  const res = await upload(uploadHeaders(store.tokens.alice, alice, 'hello', bytes), bytes);
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error.code, 'bundle-invalid');
  assert.match(res.json().error.message, /refused bin\/run: owned by uid 1000 gid 1000/);
  assert.equal(storeState(store), before);
});

test('an account has at most maxUploadsInFlightPerAccount uploads in flight: 429, other accounts unaffected', async () => {
  const held = await makeBundle(work, { name: 'hello', version: '7.0' });
  // The first upload sends half its bundle, then waits for the test to send the rest.
  const body = new Readable({ read() { /* pushed by the test */ } });
  body.push(held.bytes.subarray(0, 2048));
  const first = upload(uploadHeaders(store.tokens.alice, alice, 'hello', held.bytes), body);
  await waitFor(() => store.app.store.uploads.inFlight() === 1, 'the first upload to start');

  const other = await makeBundle(work, { name: 'hello', version: '7.1' });
  const refused = await upload(uploadHeaders(store.tokens.alice, alice, 'hello', other.bytes), other.bytes);
  assert.equal(refused.statusCode, 429, refused.body);
  assert.equal(refused.json().error.code, 'too-many-uploads');
  const bobs = await makeBundle(work, { name: 'bobapp', version: '7.0' });
  assert.equal((await upload(uploadHeaders(store.tokens.bob, bob, 'bobapp', bobs.bytes), bobs.bytes)).statusCode, 201);

  body.push(held.bytes.subarray(2048));
  body.push(null);
  assert.equal((await first).statusCode, 201);
  assert.equal((await upload(uploadHeaders(store.tokens.alice, alice, 'hello', other.bytes), other.bytes)).statusCode, 201, 'the slot is free again');
});

test('an upload slower than uploadMinBytesPerInterval is cut, and its temp file removed', async () => {
  const b = await makeBundle(work, { name: 'hello', version: '8.0' });
  const before = storeState(store);
  // One byte, then silence: fewer than 1024 bytes in the first 1 s window.
  const trickle = new Readable({ read() { /* nothing more */ } });
  trickle.push(b.bytes.subarray(0, 1));
  // inject hands the server's cut of the body back as its rejection (over a socket: see test/test/store-slow-clients).
  await assert.rejects(upload(uploadHeaders(store.tokens.alice, alice, 'hello', b.bytes), trickle), /fewer than 1024 bytes arrived in 1 s/);
  await waitFor(() => store.app.store.uploads.inFlight() === 0, 'the cut upload to finish');
  assert.deepEqual(readdirSync(join(store.dir, 'tmp')), []);
  assert.equal(storeState(store), before);
});
