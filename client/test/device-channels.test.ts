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
  assert.equal(resolveChannel(m, 'latest/candidate', 'amd64')?.revision, 1);
  assert.equal(resolveChannel(m, 'latest/edge', 'amd64')?.revision, 3);
  assert.equal(resolveChannel(m, 'edge', 'amd64')?.channel, 'latest/beta');
  assert.equal(resolveChannel(m, 'stable', 'amd64')?.revision, 1);
  assert.equal(resolveChannel(m, '2.x/edge', 'amd64')?.revision, 7);
  assert.equal(resolveChannel(m, '3.x/stable', 'amd64'), null);
  assert.equal(resolveChannel(map({ 'latest/edge': 4 }), 'latest/stable', 'amd64'), null, 'never follows a less stable risk');
});

test('channels: a device follows its own architecture; an old map (no architectures) holds for every one', () => {
  const entry = (revision: number) => ({ revision, version: `v${revision}` });
  const m = { name: 'hello', channels: {}, architectures: { amd64: { 'latest/stable': entry(1) }, arm64: { 'latest/stable': entry(2), 'latest/beta': entry(4) } } };
  assert.equal(resolveChannel(m, 'stable', 'amd64')?.revision, 1);
  assert.equal(resolveChannel(m, 'stable', 'arm64')?.revision, 2);
  assert.equal(resolveChannel(m, 'beta', 'amd64')?.revision, 1, 'amd64 has no beta: its stable');
  assert.throws(() => resolveChannel(m, 'stable', 'riscv64'),
    { code: 'architecture-unavailable', message: 'hello has no revision for riscv64 (the store has it for amd64, arm64)' });
  const old = map({ 'latest/stable': 3 });
  assert.equal(resolveChannel(old, 'stable', 'riscv64')?.revision, 3);
  assert.equal(resolveChannel(old, 'stable', 'arm64')?.revision, 3);
});
