import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, publicKeyHex, keyIdOf } from '@skiff/bundle';
import { openTestStore, auth, storeState, type TestStore } from './helpers';

let store: TestStore;
before(async () => { store = await openTestStore(); });
after(async () => { await store.close(); });

test('GET /healthz answers with the metadata versions', async () => {
  const res = await store.app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'ok', versions: { root: 1, targets: 1, snapshot: 1, timestamp: 1 } });
});

test('GET /v1/openapi.json documents every /v1 route', async () => {
  const res = await store.app.inject({ method: 'GET', url: '/v1/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.match(doc.openapi, /^3\./);
  for (const p of ['/v1/account', '/v1/account/keys', '/v1/apps', '/v1/apps/{name}', '/v1/search', '/v1/uploads', '/v1/apps/{name}/releases', '/v1/apps/{name}/close', '/healthz']) {
    assert.ok(doc.paths[p], `missing ${p}`);
  }
});

test('no token or a wrong one is refused with 401 and the error shape', async () => {
  for (const headers of [{}, auth('skiff_wrong'), { authorization: 'Basic abc' }]) {
    const res = await store.app.inject({ method: 'GET', url: '/v1/account', headers });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'unauthorized');
    assert.equal(typeof res.json().error.message, 'string');
  }
});

test('GET /v1/account names the account of the token', async () => {
  const res = await store.app.inject({ method: 'GET', url: '/v1/account', headers: auth(store.tokens.alice) });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().name, 'alice');
});

test('a publisher key registers once, is listed, and cannot be taken by another account', async () => {
  const kp = generateKeyPair();
  const hex = publicKeyHex(kp);
  const res = await store.app.inject({ method: 'POST', url: '/v1/account/keys', headers: auth(store.tokens.alice), payload: { name: 'laptop', publicKey: hex } });
  assert.equal(res.statusCode, 201, res.body);
  assert.deepEqual({ ...(res.json() as object), created: undefined }, { name: 'laptop', keyId: keyIdOf(hex), publicKey: hex, created: undefined });

  const list = await store.app.inject({ method: 'GET', url: '/v1/account/keys', headers: auth(store.tokens.alice) });
  assert.deepEqual(list.json().keys.map((k: { name: string }) => k.name), ['laptop']);

  const before = storeState(store);
  const again = await store.app.inject({ method: 'POST', url: '/v1/account/keys', headers: auth(store.tokens.bob), payload: { name: 'mine', publicKey: hex } });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().error.code, 'key-exists');
  const sameName = await store.app.inject({ method: 'POST', url: '/v1/account/keys', headers: auth(store.tokens.alice), payload: { name: 'laptop', publicKey: publicKeyHex(generateKeyPair()) } });
  assert.equal(sameName.statusCode, 409);
  assert.equal(storeState(store), before);
});

test('a malformed key is refused with 400 and nothing stored', async () => {
  const before = storeState(store);
  for (const payload of [{ name: 'k', publicKey: 'zz'.repeat(32) }, { name: 'k', publicKey: 'ab' }, { name: 'bad name!', publicKey: 'ab'.repeat(32) }, { name: 'k' }]) {
    const res = await store.app.inject({ method: 'POST', url: '/v1/account/keys', headers: auth(store.tokens.alice), payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.ok(res.json().error.code);
  }
  const unauth = await store.app.inject({ method: 'POST', url: '/v1/account/keys', payload: { name: 'k', publicKey: 'ab'.repeat(32) } });
  assert.equal(unauth.statusCode, 401);
  assert.equal(storeState(store), before);
});

test('an unknown route answers 404 in the error shape', async () => {
  const res = await store.app.inject({ method: 'GET', url: '/v1/nothing' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error.code, 'not-found');
});
