#!/usr/bin/env node
// Metadata rewritten per release, and time per release, for each hashed-bin count asked for, in one run
// (the first is the baseline: 8 bits, the fixed 256 bins of old stores). Also what a device downloads to
// refresh one app (snapshot + the app's bins + timestamp), raw and gzip -9 (the precompressed .gz files).
// Usage (after `npx tsc --build store-server`): node bench/store-release.mjs [apps] [releases] [bits,bits,...]
import { createRequire } from 'node:module';
import { importCatalogue } from './catalogue.mjs';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const store = require('../store-server/dist/src/index.js');
const { accountService } = require('../store-server/dist/src/services/accounts.js');
const { ARCHITECTURES } = require('../bundle/dist/src/index.js');

const APPS = Number(process.argv[2] ?? 10_000);
const RELEASES = Number(process.argv[3] ?? 100);
const BITS = (process.argv[4] ?? `8,${store.binBitsFor(2 * APPS)}`).split(',').map(Number);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

function measure(bits) {
 const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-release-'));
 try {
  let t = Date.now();
  store.initStore(dir, { binBitLength: bits });
  // No deltas: their worker is not what is measured here.
  const ctx = store.openStore(dir, { binBitLength: bits, deltaSourceRevisions: 0 });
  const quiet = { info() {}, warn() {} };
  const services = store.storeServices(ctx, quiet);
  const { account } = accountService(ctx).create('bench');
  console.error(`init: ${Date.now() - t} ms`);

  t = Date.now();
  importCatalogue(ctx, account.id, APPS);
  console.error(`fixture of ${APPS} apps: ${Date.now() - t} ms`);
  const world = ctx.tuf.currentMetadataBytes();
  const md = (f) => readFileSync(join(ctx.paths.metadata, f));
  const sizes = (b) => ({ raw: b.length, gz: gzipSync(b, { level: 9 }).length });
  const v = ctx.tuf.versions;
  const snapshot = sizes(md(`${v.snapshot}.snapshot.json`));
  // One app's refresh: timestamp, snapshot, the bin of its channel map and the bin of its bundle.
  const appBins = [...new Set(['apps/app-00042/channels.json', 'apps/app-00042/1.skiff'].map((p) => ctx.tuf.binFor(p)))];
  const binFiles = appBins.map((b) => sizes(md(`${ctx.tuf.bin(b).signed.version}.${b}.json`)));
  const timestamp = sizes(md('timestamp.json'));
  const refresh = [snapshot, timestamp, ...binFiles].reduce((a, x) => ({ raw: a.raw + x.raw, gz: a.gz + x.gz }), { raw: 0, gz: 0 });

  // Measured: RELEASES releases of random apps through the release service (SQLite transaction +
  // channel map + bins + snapshot + timestamp, signed, fsynced). Half re-point a channel at a revision
  // already listed; half release a new revision (its bundle target is added, maybe in a second bin).
  const phases = { existing: { bytes: [], ms: [], files: [] }, newRevision: { bytes: [], ms: [], files: [] } };
  for (let i = 0; i < RELEASES; i++) {
    const idx = Math.floor(Math.random() * APPS);
    const name = `app-${String(idx).padStart(5, '0')}`;
    let revision = 1;
    let phase = phases.existing;
    if (i % 2 === 1) {
      phase = phases.newRevision;
      const app = ctx.apps.find(name);
      revision = ctx.apps.nextRevision(app.id);
      const blob = randomBytes(512);
      const sha256 = createHash('sha256').update(blob).digest('hex');
      writeFileSync(join(ctx.paths.blobs, sha256), blob);
      ctx.apps.addRevision({ app_id: app.id, revision, sha256, size: blob.length, version: `1.${revision}`, key_id: 'bench', architectures: 'all' });
    }
    const risk = ['beta', 'edge', 'candidate'][i % 3];
    const t0 = process.hrtime.bigint();
    const r = services.releases.release(account, name, revision, risk);
    phase.ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    phase.bytes.push(r.metadata.bytes);
    phase.files.push(r.metadata.files.length);
  }
  const bytes = [...phases.existing.bytes, ...phases.newRevision.bytes];
  const ms = [...phases.existing.ms, ...phases.newRevision.ms];
  const files = [...phases.existing.files, ...phases.newRevision.files];

  ctx.close();

  const summary = (p) => ({
    metadataBytes: { median: median(p.bytes), max: Math.max(...p.bytes) },
    files: { median: median(p.files), max: Math.max(...p.files) },
    ms: { median: +median(p.ms).toFixed(1), p90: +pct(p.ms, 0.9).toFixed(1) },
  });
  return {
    apps: APPS, releases: RELEASES, bits, bins: 2 ** bits,
    metadataBytesPerRelease: { median: median(bytes), max: Math.max(...bytes) },
    filesPerRelease: { median: median(files), max: Math.max(...files) },
    msPerRelease: { median: +median(ms).toFixed(1), p90: +pct(ms, 0.9).toFixed(1) },
    repointChannel: summary(phases.existing),
    newRevision: summary(phases.newRevision),
    allMetadataBytes: world,
    snapshotBytes: snapshot, binBytes: binFiles[0], refreshBytes: refresh,
  };
 } finally {
  rmSync(dir, { recursive: true, force: true });
 }
}

const results = BITS.map((bits) => {
  const r = measure(bits);
  console.log(JSON.stringify(r));
  return r;
});
console.log('| bins | rewritten/release (median) | ms/release (median / p90) | snapshot raw / gz | one bin raw / gz | one app refresh raw / gz |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| 2^${r.bits} | ${r.metadataBytesPerRelease.median} | ${r.msPerRelease.median} / ${r.msPerRelease.p90} | ` +
    `${r.snapshotBytes.raw} / ${r.snapshotBytes.gz} | ${r.binBytes.raw} / ${r.binBytes.gz} | ${r.refreshBytes.raw} / ${r.refreshBytes.gz} |`);
}
const [base, ...rest] = results;
for (const r of rest) {
  console.log(`2^${r.bits} bins against 2^${base.bits}: bytes ${(r.metadataBytesPerRelease.median / base.metadataBytesPerRelease.median).toFixed(3)}, ` +
    `time ${(r.msPerRelease.median / base.msPerRelease.median).toFixed(3)}`);
}
