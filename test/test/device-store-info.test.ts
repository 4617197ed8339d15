// A device owner looks at the store before installing, as `snap info` and `snap find` allow: `skiff info`
// of an app the device does not have shows its channel map (verified through TUF), and `skiff find`
// asks the store the device was set up with, without a publisher login.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { machine } from 'node:os';
import { ARCHITECTURES, architectureOfMachine } from '@skiff/bundle';
import { publishBundle } from '../src/store';
import { skiff, makeBundle, openSetUpWorld, closeDeviceWorld, rootSkipReason, type DeviceWorld } from '../src/device-fixture';

const skip = rootSkipReason();
let world: DeviceWorld | undefined;

before(async () => {
  if (skip) return;
  world = await openSetUpWorld('store-info');
  await publishBundle(world.store, await makeBundle(world.work, { name: 'other', version: '1.0' }), { channel: 'stable' });
  await publishBundle(world.store, await makeBundle(world.work, { name: 'other', version: '1.1' }), { channel: 'beta' });
});
after(async () => { await closeDeviceWorld(world ?? {}); });

test('skiff info of an app not installed shows what the store offers; an unknown one says so in one line', { skip }, () => {
  const { root } = world!;
  const json = skiff(root, ['info', 'other', '--json']);
  assert.equal(json.status, 0, json.stderr);
  // The device's architecture is the kernel's (no system.architecture set); `all` revisions serve every one.
  const arch = architectureOfMachine(machine());
  assert.deepEqual(JSON.parse(json.stdout), { name: 'other', installed: false, architecture: arch,
    channels: { 'latest/stable': { revision: 1, version: '1.0' }, 'latest/beta': { revision: 2, version: '1.1' } }, architectures: [...ARCHITECTURES] });
  const human = skiff(root, ['info', 'other']);
  assert.match(human.stdout, new RegExp(`^not installed; the store offers for ${arch}:$`, 'm'));
  assert.match(human.stdout, new RegExp(`^built for: ${ARCHITECTURES.join(', ')}$`, 'm'));
  assert.match(human.stdout, /^latest\/stable\s+1\.0\s+1$/m);
  assert.match(human.stdout, /^latest\/beta\s+1\.1\s+2$/m);
  const none = skiff(root, ['info', 'nosuch']);
  assert.equal(none.status, 1);
  assert.equal(none.stderr, 'skiff: the store has no app named nosuch\n');
  assert.deepEqual(JSON.parse(skiff(root, ['list', '--json']).stdout), [], 'nothing was installed');
});

test('skiff find asks the device\'s own store when there is no publisher login', { skip }, () => {
  const { root, work } = world!;
  // No login, no SKIFF_STORE: only the device under SKIFF_ROOT knows the store.
  const r = skiff(root, ['find', 'oth', '--json'], { SKIFF_STORE: '', SKIFF_TOKEN: '', XDG_CONFIG_HOME: join(work, 'no-login') });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).map((a: { name: string }) => a.name), ['other']);
});
