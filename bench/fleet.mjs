#!/usr/bin/env node
// A fleet against nginx serving a store's DATA/repo: DEVICES device trust states (the real client trust
// code, client/src/trust, each with its own trust folder), each with a few apps of an APPS-app catalogue.
// Measured through a counting proxy in front of nginx: a no-op check, then after a release of one popular
// app, the refresh of a device that has it and of one that does not. Bytes are response bodies on the wire
// (gzip where the device asked for it), headers not counted.
// Usage (after `npx tsc --build`): node bench/fleet.mjs [apps] [devices] [fraction-with-popular-app]
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const require = createRequire(import.meta.url);
const store = require('../store-server/dist/src/index.js');
const { DeviceTrust } = require('../client/dist/src/trust/index.js');
const { startNginx } = require('../test/dist/src/nginx.js');
const { TrustProxy } = require('../test/dist/src/trust-proxy.js');

const APPS = Number(process.argv[2] ?? 100_000);
const DEVICES = Number(process.argv[3] ?? 1000);
const FRACTION = Number(process.argv[4] ?? 0.3);
const APPS_PER_DEVICE = 3;
const FLEET = 100_000;
const CHECKS_PER_DAY = 4;
const appName = (i) => `app-${String(i).padStart(6, '0')}`;
const POPULAR = appName(0);
const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-fleet-'));
const cleanup = [];

/** A blob in the store and the BundleTarget that lists it. */
function bundle(ctx, name, revision, size = 4096) {
  const blob = randomBytes(size);
  const sha256 = createHash('sha256').update(blob).digest('hex');
  writeFileSync(join(ctx.paths.blobs, sha256), blob);
  return { name, revision, sha256, size, version: `1.${revision}`, publisher: 'bench', blobPath: join(ctx.paths.blobs, sha256) };
}
const channelMap = (name, revision) => ({ name, channels: { 'latest/stable': { revision, version: `1.${revision}` } } });

/** Runs fn for every device, a few at a time; returns the proxy's requests and body bytes over the run. */
async function phase(proxy, devices, fn, parallel = 4) {
  proxy.clear();
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < devices.length) await fn(devices[next++]);
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = [...proxy.bytesSent.values()].reduce((a, b) => a + b, 0);
  return { devices: devices.length, requests: proxy.requests.length, bytes, seconds };
}
/** Every byte of one response, headers included, as a device's request for timestamp.json gets it. */
function wireBytes(url) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let n = 0;
    const socket = connect(Number(u.port), u.hostname, () => socket.write(
      `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: skiff\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n`));
    socket.on('data', (d) => { n += d.length; }).on('end', () => resolve(n)).on('error', reject);
  });
}
const per = (p) => ({ requests: +(p.requests / p.devices).toFixed(2), bytes: Math.round(p.bytes / p.devices) });
const rate = (p) => ({ requestsPerSecond: Math.round(p.requests / p.seconds), bytesPerSecond: Math.round(p.bytes / p.seconds) });

try {
  const bits = store.binBitsFor(2 * APPS);
  store.initStore(dir, { binBitLength: bits });
  const ctx = store.openStore(dir);
  cleanup.push(() => ctx.close());
  let t = Date.now();
  const entries = [];
  for (let i = 0; i < APPS; i++) entries.push({ channelMap: channelMap(appName(i), 1), bundles: [bundle(ctx, appName(i), 1, 512)] });
  ctx.tuf.publishApps(entries);
  console.error(`catalogue of ${APPS} apps in ${2 ** bits} bins: ${Date.now() - t} ms`);

  const nginx = await startNginx(ctx.paths.repo);
  cleanup.push(() => nginx.stop());
  const proxy = await TrustProxy.start(nginx.url);
  cleanup.push(() => proxy.stop());

  // Each device: its own trust folder with the store's root, a few random apps, the popular one for FRACTION.
  const rootJson = readFileSync(join(ctx.paths.metadata, '1.root.json'));
  const devices = [];
  for (let d = 0; d < DEVICES; d++) {
    const trustDir = join(dir, 'devices', String(d));
    mkdirSync(trustDir, { recursive: true });
    await DeviceTrust.installRoot(trustDir, rootJson);
    const apps = Array.from({ length: APPS_PER_DEVICE }, () => appName(1 + Math.floor(Math.random() * (APPS - 1))));
    if (d < DEVICES * FRACTION) apps[0] = POPULAR;
    devices.push({ trust: new DeviceTrust({ trustDir, storeUrl: proxy.url }), apps, hasPopular: apps[0] === POPULAR });
  }
  // What an install leaves: verified metadata, the channel maps of its apps.
  const install = await phase(proxy, devices, async (dev) => {
    await dev.trust.refresh();
    for (const app of dev.apps) await dev.trust.channelMap(app);
  });

  // A refresh check as the device does it: one timestamp request; when it changed, TUF refresh and the
  // channel map of each installed app; a new revision's bundle target (metadata) is then downloaded.
  const check = async (dev) => {
    const probe = await dev.trust.probeTimestamp();
    if (probe.unchanged) return;
    await dev.trust.refresh();
    for (const app of dev.apps) {
      const map = await dev.trust.channelMap(app);
      const revision = map.channels['latest/stable'].revision;
      if (revision > 1) {
        dev.target = await dev.trust.bundleTarget(app, revision);
        dev.bundleBytes = (dev.bundleBytes ?? 0) + dev.target.length;
      }
    }
  };
  const noop = await phase(proxy, devices, check, 16);

  t = Date.now();
  const report = ctx.tuf.publishApp(channelMap(POPULAR, 2), [bundle(ctx, POPULAR, 2)]);
  console.error(`release of ${POPULAR}: ${Date.now() - t} ms, ${report.metadataBytes} bytes of metadata (+${report.gzipBytes} .gz)`);
  const withApp = await phase(proxy, devices.filter((d) => d.hasPopular), check);
  const withoutApp = await phase(proxy, devices.filter((d) => !d.hasPopular), check);
  const bundleBytes = devices.find((d) => d.hasPopular)?.bundleBytes ?? 0;

  const b = { noop: per(noop), withApp: per(withApp), withoutApp: per(withoutApp) };
  const result = {
    apps: APPS, bins: 2 ** bits, devices: DEVICES, fractionWithPopular: FRACTION, appsPerDevice: APPS_PER_DEVICE,
    installPerDevice: per(install),
    noopCheckWireBytesWithHeaders: await wireBytes(`${nginx.url}/repo/metadata/timestamp.json`),
    noopCheckPerDevice: b.noop, refreshWithAppPerDevice: { ...b.withApp, bundleBytes }, refreshWithoutAppPerDevice: b.withoutApp,
    nginxBehindProxy: { noop: rate(noop), refresh: rate(withApp) },
  };
  // Extrapolation: FLEET devices, CHECKS_PER_DAY checks each, one release of the popular app that day.
  const checks = FLEET * CHECKS_PER_DAY;
  const day = {
    formula: `checks = ${FLEET} x ${CHECKS_PER_DAY}; bytes = checks x noop.bytes + ${FLEET} x (f x withApp.bytes + (1-f) x withoutApp.bytes) per release`,
    noopRequestsPerDay: checks,
    noopBytesPerDay: checks * b.noop.bytes,
    meanRequestsPerSecond: +(checks / 86400).toFixed(2),
    bytesPerReleaseOfPopularApp: Math.round(FLEET * (FRACTION * b.withApp.bytes + (1 - FRACTION) * b.withoutApp.bytes)),
  };
  console.log(JSON.stringify({ ...result, extrapolation: day }, null, 2));
} finally {
  for (const f of cleanup.reverse()) await f();
  rmSync(dir, { recursive: true, force: true });
}
