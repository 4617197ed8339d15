import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeChannel, resolveChannel } from '../src/device/channels';

const map = (channels: Record<string, number>) => ({
  name: 'hello', channels: Object.fromEntries(Object.entries(channels).map(([k, v]) => [k, { revision: v, version: `v${v}` }])),
});

test('channels: short names expand like snap', () => {
  assert.equal(normalizeChannel('stable'), 'latest/stable');
  assert.equal(normalizeChannel('edge'), 'latest/edge');
  assert.equal(normalizeChannel('2.x'), '2.x/stable');
  assert.equal(normalizeChannel('2.x/beta'), '2.x/beta');
  assert.throws(() => normalizeChannel('latest/nightly'), { code: 'channel-not-found' });
  assert.throws(() => normalizeChannel('a/b/c'), { code: 'channel-not-found' });
});

test('channels: a closed risk follows the next more stable one, within its track', () => {
  const m = map({ 'latest/stable': 1, 'latest/beta': 3, '2.x/stable': 7 });
  assert.equal(resolveChannel(m, 'latest/candidate')?.revision, 1);
  assert.equal(resolveChannel(m, 'latest/edge')?.revision, 3);
  assert.equal(resolveChannel(m, 'edge')?.channel, 'latest/beta');
  assert.equal(resolveChannel(m, 'stable')?.revision, 1);
  assert.equal(resolveChannel(m, '2.x/edge')?.revision, 7);
  assert.equal(resolveChannel(m, '3.x/stable'), null);
  assert.equal(resolveChannel(map({ 'latest/edge': 4 }), 'latest/stable'), null, 'never follows a less stable risk');
});
