// `skiff boot` after a reboot: mounts do not survive it, so boot mounts the retained revisions
// again, then recovers a change that the power cut interrupted.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as native from '@skiff/native';
import { publishBundle, type RunningStore } from '../src/store';
import { skiff, makeBundle, openDeviceWorld, closeDeviceWorld, checkOldOrNew, rootSkipReason, mountsUnder, setupDevice, withDevice } from '../src/device-fixture';

describe('device: boot after a reboot', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let work = '';
  let root = '';
  before(async () => {
    ({ store, work, root } = await openDeviceWorld('boot'));
  });
  after(async () => {
    await closeDeviceWorld({ store, work, root });
  });

  /** What a reboot does to the device: every mount under its root is gone. */
  const reboot = (): void => { for (const m of mountsUnder(root)) native.unmount(m); };

  test('boot re-mounts retained revisions and finishes a change interrupted past its commit point', async () => {
    const r1 = (await publishBundle(store!, await makeBundle(work, { name: 'hello', version: '1.0', checkHealth: 0 }), { channel: 'stable' })).revision;
    const r2 = (await publishBundle(store!, await makeBundle(work, { name: 'hello', version: '1.1', checkHealth: 0 }), { channel: 'stable' })).revision;
    const versions = new Map([[r1, '1.0'], [r2, '1.1']]);
    await setupDevice(root, store!);
    await withDevice(root, (ops) => ops.install('hello', { revision: r1 }));

    reboot();
    assert.deepEqual(mountsUnder(root), []);
    const b = skiff(root, ['boot']);
    assert.equal(b.status, 0, b.stderr);
    await checkOldOrNew(root, 'hello', 'after boot', [{ current: r1, retained: [r1] }], versions);

    // Power cut right after the switch of a refresh: boot mounts both revisions and finishes it.
    const crash = skiff(root, ['refresh', 'hello'], { SKIFF_TEST_CRASH_AT: 'switch:do:after' });
    assert.equal(crash.signal, 'SIGKILL');
    reboot();
    const b2 = skiff(root, ['boot', '--json']);
    assert.equal(b2.status, 0, b2.stderr);
    assert.deepEqual(JSON.parse(b2.stdout).recovered.map((c: { status: string }) => c.status), ['done']);
    await checkOldOrNew(root, 'hello', 'after boot and recovery', [{ current: r2, retained: [r1, r2] }], versions);
  });
});
