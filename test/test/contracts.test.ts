// One definition per contract, shown from the outside: every place a person types a channel (the store's
// release route, `skiff install --channel`, `skiff refresh --channel`) accepts and refuses the same list;
// so does every place that takes an app name (the store's register route, `skiff install`, `skiff run`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { publishBundle } from '../src/store';
import { skiff, makeBundle, openSetUpWorld, closeDeviceWorld, rootSkipReason, type DeviceWorld } from '../src/device-fixture';

const skip = rootSkipReason();
let world: DeviceWorld | undefined;

const VALID_CHANNELS = ['stable', 'candidate', 'beta', 'edge', 'latest/stable', 'latest/edge', '2.x/beta', '1.0/stable',
  'v2/candidate', 'a-b.c/edge', `${'t'.repeat(40)}/stable`];
const INVALID_CHANNELS = ['2.x', 'stabel', 'latest/nightly', 'a/b/c', '/stable', 'stable/', 'Latest/stable', 'latest/Stable',
  'latest/', '-x/stable', 'x-/stable', `${'t'.repeat(41)}/stable`, 'latest//stable', 'ştable'];
const refusal = (channel: string) => `"${channel}" is not a channel`;

before(async () => {
  if (skip) return;
  world = await openSetUpWorld('contracts');
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

// Valid names are never `hello` (installed above) and hold no '.', which `skiff run` reads as NAME.APP.
const VALID_NAMES = ['a1', 'x9', '0day', 'hello-world', 'a-b-c', 'abc123', 'my-app-2', 'bins', 'skiffy', 'a'.repeat(40)];
const INVALID_NAMES = ['a', '1', 'a'.repeat(41), 'Hello', 'HELLO', '-hello', '--a', 'hello-', 'a-', 'hello--world',
  'hello_world', 'hello world', 'héllo', 'out/hello', 'hello!'];
const RESERVED_NAMES = ['bin', 'skiff', 'store', 'core', 'snapd'];

/** What the store's register route says of a name: null when it registered it, else its error. */
async function storeRegister(name: string): Promise<{ code: string; message: string } | null> {
  const { store } = world!;
  const res = await fetch(`${store.url}/v1/apps`, {
    method: 'POST', headers: { authorization: `Bearer ${store.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = await res.json() as { error?: { code: string; message: string } };
  return res.ok ? null : body.error!;
}

test('app names: the store, install and run accept and refuse the same 30 names, with the same line', { skip }, async () => {
  const { root } = world!;
  assert.equal(VALID_NAMES.length + INVALID_NAMES.length + RESERVED_NAMES.length, 30);
  for (const name of [...VALID_NAMES, ...INVALID_NAMES, ...RESERVED_NAMES]) {
    const store = await storeRegister(name);
    // After `--`, as a person types a name that starts with a dash.
    const install = skiff(root, ['install', '--', name]);
    const run = skiff(root, ['run', '--', name]);
    if (VALID_NAMES.includes(name)) {
      assert.equal(store, null, `the store registers ${name}`);
      // Registered but never released: the device gets as far as asking the store for it.
      assert.equal(install.status, 1, `install ${name}`);
      assert.equal(install.stderr, `skiff: the store has no app named ${name}\n`, `install ${name}`);
      assert.equal(run.status, 1, `run ${name}`);
      assert.equal(run.stderr, `skiff: ${name} is not installed\n`, `run ${name}`);
    } else {
      const code = RESERVED_NAMES.includes(name) ? 'name-reserved' : 'name-invalid';
      assert.equal(store?.code, code, `the store refuses ${name}`);
      for (const [verb, r] of [['install', install], ['run', run]] as const) {
        assert.equal(r.status, 1, `${verb} ${name}`);
        // install adds how to install a local file to a name that looks like a path.
        const hint = verb === 'install' && name.includes('/') ? '; to install a local bundle file, add --dangerous' : '';
        assert.equal(r.stderr, `skiff: ${store.message}${hint}\n`, `${verb} says what the store says of ${JSON.stringify(name)}`);
      }
    }
  }
});
