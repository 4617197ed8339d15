import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeChannel } from '@skiff/bundle';
import { resolveChannel } from '../src/device/channels';

const map = (channels: Record<string, number>) => ({
  name: 'hello', channels: Object.fromEntries(Object.entries(channels).map(([k, v]) => [k, { revision: v, version: `v${v}` }])),
});

test('channels: a risk alone means the latest track; a bare word that is not a risk is refused, never taken as a track', () => {
  assert.equal(normalizeChannel('stable'), 'latest/stable');
  assert.equal(normalizeChannel('edge'), 'latest/edge');
  assert.equal(normalizeChannel('2.x/beta'), '2.x/beta');
  for (const bad of ['2.x', 'stabel', 'latest/nightly', 'a/b/c', '/stable', 'Latest/stable', '']) {
    assert.throws(() => normalizeChannel(bad), { code: 'channel-invalid' }, bad);
  }
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
