// Through a loopback proxy in front of a real store, with the real CLI: a download cut half-way resumes
// with Range and installs. (Refusals through `skiff install` are in trust-install.test.ts.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { publishBundle, type RunningStore } from '../src/store';
import { TrustProxy } from '../src/trust-proxy';
import { skiff, skiffAsync, makeBundle, openDeviceWorld, closeDeviceWorld, viewDevice, expectedView, rootSkipReason } from '../src/device-fixture';

describe('device: an interrupted download resumes', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let proxy: TrustProxy | undefined;
  let work = '';
  let root = '';
  before(async () => {
    ({ store, work, root } = await openDeviceWorld('resume'));
    proxy = await TrustProxy.start(store.url);
    const r = skiff(root, ['setup', '--store', proxy.url, '--trust', store.rootJsonPath]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(async () => {
    await proxy?.stop();
    await closeDeviceWorld({ store, work, root });
  });

  test('a download cut half-way resumes with Range, and installs', async () => {
    const file = await makeBundle(work, { name: 'hello', version: '1.0', checkHealth: 0, randomBytes: 256 * 1024 });
    const p = await publishBundle(store!, file, { channel: 'stable' });
    const path = `/repo/targets/apps/hello/${p.sha256}.${p.revision}.skiff`;
    proxy!.requests.length = 0;
    proxy!.on(path, { kind: 'cut', afterBytes: 100 * 1024 }, 1);
    const ok = await skiffAsync(root, ['install', 'hello']); // async: this process runs the proxy
    assert.equal(ok.status, 0, ok.stderr);
    const ranges = proxy!.requestsFor(path).map((q) => q.headers.range);
    assert.ok(ranges.some((h) => typeof h === 'string' && /^bytes=\d+-/.test(h) && !h.startsWith('bytes=0-')), `a Range request resumed: ${JSON.stringify(ranges)}`);
    assert.deepEqual(viewDevice(root, 'hello'), expectedView('hello', p.revision, [p.revision]));
    assert.equal((await skiffAsync(root, ['remove', 'hello', '--purge'])).status, 0);
  });
});
