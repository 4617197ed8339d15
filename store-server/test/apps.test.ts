import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, auth, storeState, type TestStore } from './helpers';

let store: TestStore;
before(async () => { store = await openTestStore(); });
after(async () => { await store.close(); });

const register = (token: string | null, name: string) =>
  store.app.inject({ method: 'POST', url: '/v1/apps', headers: token ? auth(token) : {}, payload: { name } });

test('a name registers first come, first served', async () => {
  const res = await register(store.tokens.alice, 'hello');
  assert.equal(res.statusCode, 201, res.body);
  assert.deepEqual(res.json(), { name: 'hello', publisher: 'alice' });
  const before = storeState(store);
  const taken = await register(store.tokens.bob, 'hello');
  assert.equal(taken.statusCode, 409);
  assert.equal(taken.json().error.code, 'name-taken');
  assert.equal(storeState(store), before);
});

test('reserved, malformed and unauthenticated registrations are refused, nothing stored', async () => {
  const before = storeState(store);
  const reserved = await register(store.tokens.alice, 'skiff');
  assert.equal(reserved.statusCode, 409);
  assert.equal(reserved.json().error.code, 'name-reserved');
  for (const name of ['A', 'Hello', 'a--b', '-ab', 'ab-', 'x'.repeat(41), 'a_b']) {
    const res = await register(store.tokens.alice, name);
    assert.equal(res.statusCode, 400, name);
    assert.equal(res.json().error.code, 'name-invalid', name);
  }
  assert.equal((await register(null, 'other')).statusCode, 401);
  assert.equal((await register('skiff_nope', 'other')).statusCode, 401);
  assert.equal(storeState(store), before);
});

test('app info of a new app has no channels and no revisions; unknown app is 404', async () => {
  const res = await store.app.inject({ method: 'GET', url: '/v1/apps/hello' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().publisher, 'alice');
  assert.deepEqual(res.json().channels, {});
  assert.deepEqual(res.json().revisions, []);
  const missing = await store.app.inject({ method: 'GET', url: '/v1/apps/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'app-not-found');
});

test('search matches names and treats LIKE wildcards literally', async () => {
  await register(store.tokens.bob, 'hello-world');
  await register(store.tokens.bob, 'other');
  const res = await store.app.inject({ method: 'GET', url: '/v1/search?q=hello' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json().results.map((r: { name: string }) => r.name), ['hello', 'hello-world']);
  const wild = await store.app.inject({ method: 'GET', url: '/v1/search?q=%25' });
  assert.deepEqual(wild.json().results, []);
  const missing = await store.app.inject({ method: 'GET', url: '/v1/search' });
  assert.equal(missing.statusCode, 400);
});

test('GET /v1/account lists the apps the account owns', async () => {
  const res = await store.app.inject({ method: 'GET', url: '/v1/account', headers: auth(store.tokens.bob) });
  assert.deepEqual(res.json().apps.map((a: { name: string }) => a.name), ['hello-world', 'other']);
});
