#!/usr/bin/env node
// What an automatic refresh check costs when the store has nothing new, against the same device asking the
// way `skiff refresh` does (tuf-js refresh + each app's channel map): requests, bytes and time, N apps
// installed. Requests are counted at a loopback proxy in front of a real store. Needs root (mounts).
// Usage: node bench/autorefresh-check.mjs [--apps N] [--runs R]
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(top, 'test', 'package.json'));
const { values } = parseArgs({ options: { apps: { type: 'string', default: '10' }, runs: { type: 'string', default: '9' } } });
const APPS = Number(values.apps);
const RUNS = Number(values.runs);
if (process.getuid?.() !== 0) { console.error('bench/autorefresh-check.mjs needs root: it installs apps (loop mounts)'); process.exit(1); }

const fx = require(join(top, 'test/dist/src/device-fixture.js'));
const { publishBundle } = require(join(top, 'test/dist/src/store.js'));
const { TrustProxy } = require(join(top, 'test/dist/src/trust-proxy.js'));
const { openDevice } = require(join(top, 'client/dist/src/device/index.js'));
const { DeviceOps } = require(join(top, 'client/dist/src/device/ops.js'));
const { runAutoRefreshCheck } = require(join(top, 'client/dist/src/device/autorefresh/check.js'));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const now = () => Number(process.hrtime.bigint()) / 1e6;
const quiet = { info() {}, warn() {}, error() {} };

const world = await fx.openDeviceWorld('bench-autorefresh');
const proxy = await TrustProxy.start(world.store.url);
try {
  await fx.setupDevice(world.root, { url: proxy.url, rootJsonPath: world.store.rootJsonPath });
  const device = openDevice(world.root);
  const ops = new DeviceOps(device, { progress: false });
  process.stderr.write(`publishing and installing ${APPS} apps...\n`);
  for (let i = 0; i < APPS; i++) {
    const name = `bench-ar${i}`;
    await publishBundle(world.store, await fx.makeBundle(world.work, { name, version: '1.0' }), { channel: 'stable' });
    await ops.install(name);
  }
  const check = () => runAutoRefreshCheck({ device, log: quiet, now: new Date(), withApp: (_n, fn) => fn(ops) });
  await check(); // the first check finds everything up to date and remembers it
  const measure = async (fn) => {
    const ms = [];
    let requests = 0;
    for (let r = 0; r < RUNS; r++) {
      proxy.clear();
      const t0 = now();
      await fn();
      ms.push(now() - t0);
      requests = proxy.requests.length;
    }
    return { ms: median(ms), requests };
  };
  const quick = await measure(check);
  const full = await measure(() => ops.refresh([], {}));
  console.log(JSON.stringify({ apps: APPS, runs: RUNS, nothingNewCheck: quick, refreshAll: full, ratio: +(quick.ms / full.ms).toFixed(3) }));
  device.close();
} finally {
  await proxy.stop();
  await fx.closeDeviceWorld(world);
}
