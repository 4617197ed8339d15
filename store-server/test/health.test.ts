// /healthz tells a monitor the truth: a store serving an expired timestamp is of no use to devices.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore } from './helpers';

const DAY_MS = 24 * 3600 * 1000;

test('/healthz is 503 timestamp-expired while the served timestamp has expired, ok again once re-signed', async () => {
  const store = await openTestStore();
  after(() => store.close());
  assert.equal((await store.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);

  // Signed as if two days ago, with the default one-day lifetime: it expired yesterday.
  assert.ok(store.app.store.releases.refreshExpiring(new Date(Date.now() - 2 * DAY_MS)));
  const expired = await store.app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(expired.statusCode, 503);
  assert.equal(expired.json().error.code, 'timestamp-expired');
  assert.match(expired.json().error.message, /^the timestamp this store serves expired at \S+Z: the store has not re-signed it/);

  assert.ok(store.app.store.releases.refreshExpiring());
  const ok = await store.app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().status, 'ok');
});
