#!/usr/bin/env node
// The store's pages under load, with 1,000 apps in the store: an app page and a search page against
// the JSON routes of the same data (GET /v1/apps/NAME, GET /v1/search) in the same run, with wrk.
// Target: each page at least 0.5x the requests per second of its JSON route. Run twice: as served
// (rendered pages kept until the database changes) and with --page-cache-entries 0 (render every request).
// Usage (after `npx tsc --build store-server test`): node bench/web.mjs [seconds] [connections] [apps]
import { createRequire } from 'node:module';
import { wrk as runWrk, WRK_THREADS } from './wrk.mjs';
import { importCatalogue } from './catalogue.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const storeServer = require('../store-server/dist/src/index.js');
const { accountService } = require('../store-server/dist/src/services/accounts.js');
const { startStore } = require('../test/dist/src/store.js');

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 50);
const APPS = Number(process.argv[4] ?? 1000);

const wrk = (url) => runWrk(url, { seconds: SECONDS, connections: CONNECTIONS });

/**
 * Fixture: APPS apps, one revision each on latest/stable with a manifest like a real one (rows, blobs
 * and the signed repository written directly; uploads and releases are not what is measured here).
 */
function makeStore(dir) {
  storeServer.initStore(dir);
  const ctx = storeServer.openStore(dir);
  const { account } = accountService(ctx).create('bench');
  importCatalogue(ctx, account.id, APPS, { withManifest: true });
  ctx.close();
}

const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-web-'));
let store;
try {
  makeStore(dir);
  const app = `app-${String(Math.floor(APPS / 2)).padStart(5, '0')}`;
  // A query matching 10 apps: the page (20 a page) and the JSON route (50 at most) return the same ones.
  const q = app.slice(0, -1);
  const pairs = {
    app: { page: `/apps/${app}`, json: `/v1/apps/${app}` },
    search: { page: `/search?q=${q}`, json: `/v1/search?q=${q}` },
    searchAll: { page: '/search?q=app-', json: '/v1/search?q=app-' },
  };
  const results = { apps: APPS, connections: CONNECTIONS, seconds: SECONDS, wrkThreads: WRK_THREADS, cores: cpus().length };
  // As served (rendered pages kept until the database changes), then rendering every request.
  for (const [mode, args] of [['cached', []], ['uncached', ['--page-cache-entries', '0']]]) {
    // --log-level warn, as in bench/store-timestamp.mjs: one log line per request is measured there.
    store = await startStore({ dataDir: dir, token: 'unused', serveArgs: ['--log-level', 'warn', ...args] });
    results[mode] = {};
    for (const [what, { page, json }] of Object.entries(pairs)) {
      const r = { json: wrk(store.url + json), page: wrk(store.url + page) };
      r.ratio = +(r.page.rps / r.json.rps).toFixed(3);
      results[mode][what] = r;
    }
    await store.stop();
    store = undefined;
  }
  console.log(JSON.stringify(results, null, 2));
  for (const mode of ['cached', 'uncached']) {
    for (const what of Object.keys(pairs)) {
      const r = results[mode][what];
      console.log(`${mode} ${what}: page ${r.page.rps.toFixed(0)} req/s (p99 ${r.page.p99}), JSON ${r.json.rps.toFixed(0)} req/s (p99 ${r.json.p99}), page/JSON = ${r.ratio}x (target >= 0.5x)` +
        (r.page.errors + r.json.errors > 0 ? `; non-2xx: page ${r.page.errors}, JSON ${r.json.errors}` : ''));
    }
  }
} finally {
  await store?.stop();
  rmSync(dir, { recursive: true, force: true });
}
