// One definition per contract, shown from the outside: every place a person types a channel (the store's
// release route, `skiff install --channel`, `skiff refresh --channel`) accepts and refuses the same list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { publishBundle } from '../src/store';
import { skiff, makeBundle, openDeviceWorld, closeDeviceWorld, rootSkipReason, type DeviceWorld } from '../src/device-fixture';

const skip = rootSkipReason();
let world: DeviceWorld | undefined;

const VALID_CHANNELS = ['stable', 'candidate', 'beta', 'edge', 'latest/stable', 'latest/edge', '2.x/beta', '1.0/stable',
  'v2/candidate', 'a-b.c/edge', `${'t'.repeat(40)}/stable`];
const INVALID_CHANNELS = ['2.x', 'stabel', 'latest/nightly', 'a/b/c', '/stable', 'stable/', 'Latest/stable', 'latest/Stable',
  'latest/', '-x/stable', 'x-/stable', `${'t'.repeat(41)}/stable`, 'latest//stable', 'ştable'];
const refusal = (channel: string) => `"${channel}" is not a channel`;

before(async () => {
  if (skip) return;
  world = await openDeviceWorld('contracts');
  assert.equal(skiff(world.root, ['setup', '--store', world.store.url, '--trust', world.store.rootJsonPath]).status, 0);
  await publishBundle(world.store, await makeBundle(world.work, { name: 'hello', version: '1.0' }), { channel: 'stable' });
  assert.equal(skiff(world.root, ['install', 'hello']).status, 0);
});
after(async () => { await closeDeviceWorld(world ?? {}); });

/** What the store's release route says of a channel: null when it accepted it, else its error. */
async function storeRelease(channel: string): Promise<{ code: string; message: string } | null> {
  const { store } = world!;
  const res = await fetch(`${store.url}/v1/apps/hello/releases`, {
    method: 'POST', headers: { authorization: `Bearer ${store.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ revision: 1, channel }),
  });
  const body = await res.json() as { error?: { code: string; message: string } };
  return res.ok ? null : body.error!;
}

test('channels: the store, install --channel and refresh --channel accept and refuse the same list, with the same line', { skip }, async () => {
  const { root } = world!;
  for (const channel of [...VALID_CHANNELS, ...INVALID_CHANNELS]) {
    const valid = VALID_CHANNELS.includes(channel);
    const store = await storeRelease(channel);
    // `nosuch` is not in the store: a valid channel gets as far as asking for it.
    const install = skiff(root, ['install', 'nosuch', '--channel', channel]);
    const refresh = skiff(root, ['refresh', 'hello', '--channel', channel]);
    if (valid) {
      assert.equal(store, null, `the store accepts ${channel}`);
      assert.doesNotMatch(install.stderr, /is not a channel/, `install accepts ${channel}`);
      assert.match(install.stderr, /no app named nosuch/, `install --channel ${channel}`);
      assert.doesNotMatch(refresh.stderr, /is not a channel/, `refresh accepts ${channel}: ${refresh.stderr}`);
    } else {
      assert.equal(store?.code, 'channel-invalid', `the store refuses ${channel}`);
      assert.ok(store.message.startsWith(refusal(channel)), store.message);
      for (const [verb, r] of [['install', install], ['refresh', refresh]] as const) {
        assert.equal(r.status, 1, `${verb} --channel ${channel}`);
        assert.equal(r.stderr, `skiff: ${store.message}\n`, `${verb} says what the store says of ${channel}`);
      }
    }
  }
});
