#!/usr/bin/env node
// The store's side at scale (issue 15): a real store (`skiff-store serve` on 127.0.0.1, SQLite on disk)
// holding APPS apps, against the same at BASELINE apps in the same run. Per size: the catalogue import
// (bench/catalogue.mjs, in a child process: its time, peak RSS and peak WAL size), releases through
// POST /v1/apps/NAME/releases, searches (JSON route and HTML page) for a word matching 1 app in 20, a
// rare name and no match, page 2 of the common word (the count query), an app page and its JSON route,
// the home page; the server's RSS after warm-up, the database and WAL sizes. Latencies are single
// requests one after another (median / p90); pages are rendered every time (--page-cache-entries 0)
// so the database work is what is measured, not the page cache. The import child also times releases
// through the release service with SQLite's synchronous FULL and NORMAL in turn (one release each, alternating).
// Usage (after `npx tsc --build`): node bench/store-scale.mjs [apps] [baseline] [requests] [releases] [apps per import commit]
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCatalogue, IMPORT_BATCH_APPS, TOPICS } from './catalogue.mjs';

const require = createRequire(import.meta.url);
const store = require('../store-server/dist/src/index.js');
const { accountService } = require('../store-server/dist/src/services/accounts.js');
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: +s[s.length >> 1].toFixed(2), p90: +s[Math.min(s.length - 1, Math.floor(s.length * 0.9))].toFixed(2) };
};

const sizeOf = (f) => { try { return statSync(f).size; } catch { return 0; } };
const rssKiB = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// The child: imports `count` apps into a fresh store in `dir`, prints its figures as one JSON line.
if (process.argv[2] === '--import') {
  const [dir, count, batch, releaseCount] = [process.argv[3], Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6])];
  const bits = store.binBitsFor(2 * count);
  store.initStore(dir, { binBitLength: bits });
  const ctx = store.openStore(dir, { binBitLength: bits, deltaSourceRevisions: 0 });
  const { account, token } = accountService(ctx).create('bench');
  const t = process.hrtime.bigint();
  importCatalogue(ctx, account.id, count, { withManifest: true, batch });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const walBytesAtEnd = sizeOf(`${ctx.paths.db}-wal`);
  const maxRssKiB = process.resourceUsage().maxRSS;
  const releases = store.storeServices(ctx, { info() {}, warn() {} }).releases;
  const bySync = { FULL: [], NORMAL: [] };
  // Each a different app (a step prime to the count), so each changes something.
  for (let i = 0; i < Math.min(2 * releaseCount, count); i++) {
    const sync = i % 2 ? 'NORMAL' : 'FULL';
    ctx.db.pragma(`synchronous = ${sync}`);
    const t0 = process.hrtime.bigint();
    releases.release(account, `app-${String((i * 7919) % count).padStart(5, '0')}`, 1, 'edge');
    bySync[sync].push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ctx.close();
  console.log(JSON.stringify({ ms, token, maxRssKiB, walBytesAtEnd, releaseBySync: { FULL: stats(bySync.FULL), NORMAL: stats(bySync.NORMAL) } }));
  process.exit(0);
}

const { startStore } = require('../test/dist/src/store.js');
const APPS = Number(process.argv[2] ?? 100_000);
const BASELINE = Number(process.argv[3] ?? 1000);
const REQUESTS = Number(process.argv[4] ?? 30);
const RELEASES = Number(process.argv[5] ?? 50);
const BATCH = Number(process.argv[6] ?? IMPORT_BATCH_APPS);
const appName = (i) => `app-${String(i).padStart(5, '0')}`;

/** Runs the import child, sampling the WAL's size while it runs (its peak is what a checkpoint limit bounds). */
function importInChild(dir, count) {
  return new Promise((resolve, reject) => {
    const args = ['--import', dir, String(count), String(BATCH), String(RELEASES)];
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let walPeak = 0;
    const wal = join(dir, 'store.db-wal');
    const timer = setInterval(() => { walPeak = Math.max(walPeak, sizeOf(wal)); }, 20);
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`import of ${count} apps failed (${code})`));
      const r = JSON.parse(out.trim().split('\n').pop());
      resolve({ ...r, walPeakBytes: Math.max(walPeak, r.walBytesAtEnd) });
    });
  });
}

/** Milliseconds of one request; a non-2xx answer stops the bench. */
async function timed(url, init) {
  const t = process.hrtime.bigint();
  const res = await fetch(url, init);
  const body = await res.text();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${body.slice(0, 200)}`);
  return { ms, body };
}

async function measure(count) {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-scale-'));
  let server;
  try {
    const imported = await importInChild(dir, count);
    const db = join(dir, 'store.db');
    server = await startStore({ dataDir: dir, token: imported.token, serveArgs: ['--log-level', 'warn', '--page-cache-entries', '0'] });
    const get = async (path) => (await timed(server.url + path)).ms;
    const rare = appName(Math.floor(count * 0.4242));
    const paths = {
      'search JSON, common word': `/v1/search?q=${TOPICS[0]}`,
      'search JSON, rare name': `/v1/search?q=${rare}`,
      'search JSON, no match': '/v1/search?q=zzzz',
      'search page, common word': `/search?q=${TOPICS[0]}`,
      'search page 2, common word (count)': `/search?q=${TOPICS[0]}&page=2`,
      'search page, rare name': `/search?q=${rare}`,
      'search page, no match': '/search?q=zzzz',
      'home page': '/',
    };
    // Warm-up: every path once, and app pages of a few apps.
    for (const p of Object.values(paths)) await get(p);
    for (let i = 0; i < 5; i++) await get(`/apps/${appName(i)}`);
    const rssAfterWarmupKiB = rssKiB(server.child.pid, 'VmRSS');

    const latency = {};
    for (const [what, p] of Object.entries(paths)) {
      const xs = [];
      for (let i = 0; i < REQUESTS; i++) xs.push(await get(p));
      latency[what] = stats(xs);
    }
    const random = () => appName(Math.floor(Math.random() * count));
    const appJson = [];
    const appPage = [];
    for (let i = 0; i < REQUESTS; i++) {
      appJson.push(await get(`/v1/apps/${random()}`));
      appPage.push(await get(`/apps/${random()}`));
    }
    latency['app JSON'] = stats(appJson);
    latency['app page'] = stats(appPage);

    // Releases: open the beta channel of an app at its revision 1 (a SQLite transaction and the signed metadata), a different app each.
    const releases = [];
    const headers = { authorization: `Bearer ${imported.token}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ revision: 1, channel: 'beta' });
    for (let i = 0; i < Math.min(RELEASES, count); i++) {
      releases.push((await timed(`${server.url}/v1/apps/${appName((i * 7919 + 1) % count)}/releases`, { method: 'POST', headers, body })).ms);
    }
    latency.release = stats(releases);
    const result = {
      apps: count,
      import: { ms: Math.round(imported.ms), peakRssMiB: +(imported.maxRssKiB / 1024).toFixed(1), walPeakBytes: imported.walPeakBytes, batch: BATCH },
      releaseBySync: imported.releaseBySync,
      latency,
      serverRssMiB: { afterWarmup: +(rssAfterWarmupKiB / 1024).toFixed(1), peak: +(rssKiB(server.child.pid, 'VmHWM') / 1024).toFixed(1) },
      dbBytes: sizeOf(db), walBytes: sizeOf(`${db}-wal`),
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = await measure(BASELINE);
const big = await measure(APPS);
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(1)}x` : '-');
console.log(`\n| measured | ${BASELINE} apps | ${APPS} apps | ratio |`);
console.log('|---|---|---|---|');
const row = (what, a, b, unit = '') => console.log(`| ${what} | ${a}${unit} | ${b}${unit} | ${ratio(b, a)} |`);
row('import (ms)', base.import.ms, big.import.ms);
row('import peak RSS (MiB)', base.import.peakRssMiB, big.import.peakRssMiB);
row('import peak WAL (bytes)', base.import.walPeakBytes, big.import.walPeakBytes);
for (const what of Object.keys(big.latency)) {
  const [a, b] = [base.latency[what], big.latency[what]];
  console.log(`| ${what} (ms, median / p90) | ${a.median} / ${a.p90} | ${b.median} / ${b.p90} | ${ratio(b.median, a.median)} |`);
}
for (const sync of ['FULL', 'NORMAL']) {
  const [a, b] = [base.releaseBySync[sync], big.releaseBySync[sync]];
  console.log(`| release in process, synchronous ${sync} (ms, median / p90) | ${a.median} / ${a.p90} | ${b.median} / ${b.p90} | ${ratio(b.median, a.median)} |`);
}
row('server RSS after warm-up (MiB)', base.serverRssMiB.afterWarmup, big.serverRssMiB.afterWarmup);
row('server peak RSS (MiB)', base.serverRssMiB.peak, big.serverRssMiB.peak);
row('database file (bytes)', base.dbBytes, big.dbBytes);
row('WAL file after the run (bytes)', base.walBytes, big.walBytes);
