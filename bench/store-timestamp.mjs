#!/usr/bin/env node
// Requests per second for timestamp.json (the file every device polls): the store (served from
// memory) against nginx serving the same DATA/repo from disk, in the same run. Also an immutable
// metadata file through @fastify/static, for the static path.
// Usage (after `npx tsc --build store-server test`): node bench/store-timestamp.mjs [seconds] [connections]
import { createRequire } from 'node:module';
import { wrk as runWrk, WRK_THREADS } from './wrk.mjs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { startStore } = require('../test/dist/src/store.js');
const { startNginx } = require('../test/dist/src/nginx.js');

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 50);

const wrk = (url) => runWrk(url, { seconds: SECONDS, connections: CONNECTIONS });

// --log-level warn: the default info level writes one JSON line per request, which is what an
// operator would turn down in front of a fleet; it is measured separately below.
// A second store of its own (one server per data folder) at the default info level.
const started = [];
let store, storeInfo, nginx;
try {
  store = await startStore({ serveArgs: ['--log-level', 'warn'] });
  started.push(store);
  storeInfo = await startStore();
  started.push(storeInfo);
  nginx = await startNginx(join(store.dataDir, 'repo'));
  started.push(nginx);
} catch (err) {
  for (const s of started.reverse()) await s.stop();
  throw err;
}
try {
  const ts = '/repo/metadata/timestamp.json';
  const root = '/repo/metadata/1.root.json';
  const results = {
    connections: CONNECTIONS, seconds: SECONDS, wrkThreads: WRK_THREADS, cores: (await import('node:os')).cpus().length,
    storeTimestamp: wrk(store.url + ts),
    storeTimestampInfoLogs: wrk(storeInfo.url + ts),
    storeStaticRoot: wrk(store.url + root),
    nginxTimestamp: wrk(nginx.url + ts),
    nginxRoot: wrk(nginx.url + root),
  };
  results.ratioStoreToNginxTimestamp = +(results.storeTimestamp.rps / results.nginxTimestamp.rps).toFixed(3);
  results.ratioStoreStaticToNginx = +(results.storeStaticRoot.rps / results.nginxRoot.rps).toFixed(3);
  console.log(JSON.stringify(results, null, 2));
  console.log(`timestamp.json: store ${results.storeTimestamp.rps.toFixed(0)} req/s, nginx ${results.nginxTimestamp.rps.toFixed(0)} req/s, ` +
    `store/nginx = ${results.ratioStoreToNginxTimestamp}; with info logs ${results.storeTimestampInfoLogs.rps.toFixed(0)} req/s; ` +
    `1.root.json via @fastify/static ${results.storeStaticRoot.rps.toFixed(0)} req/s vs nginx ${results.nginxRoot.rps.toFixed(0)} (ratio ${results.ratioStoreStaticToNginx})`);
} finally {
  await nginx.stop();
  await storeInfo.stop();
  await store.stop();
}
