import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceLayout } from '../src';

test('device layout: the tree under --root that the device and confinement share', () => {
  const l = new DeviceLayout('/r');
  assert.deepEqual([l.stateDb, l.trustDir, l.bundleFile('hello', 3), l.volumeImage('hello'), l.planFile('hello', 'report')],
    ['/r/var/lib/skiff/state.db', '/r/var/lib/skiff/trust', '/r/var/lib/skiff/bundles/hello_3.skiff', '/r/var/lib/skiff/data/hello.img',
      '/r/var/lib/skiff/plans/hello.report.json']);
  assert.deepEqual([l.mountDir('hello', 3), l.currentLink('hello'), l.wrapperFile('hello.report')],
    ['/r/skiff/hello/3', '/r/skiff/hello/current', '/r/skiff/bin/hello.report']);
  assert.deepEqual([l.revDataDir('hello', 3), l.commonDataDir('hello'), l.snapshotDir('hello')],
    ['/r/var/skiff/hello/3', '/r/var/skiff/hello/common', '/r/var/lib/skiff/snapshots/hello']);
});
