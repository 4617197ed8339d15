#!/usr/bin/env node
// Metadata rewritten per release, and time per release, with 10,000 apps in the store.
// Baseline in the same run: the bytes a device-visible repository holds in all (what a release would
// rewrite without hashed bins, where one targets.json lists every target).
// Usage (after `npx tsc --build store-server`): node bench/store-release.mjs [apps] [releases]
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const store = require('../store-server/dist/src/index.js');
const { accountService } = require('../store-server/dist/src/services/accounts.js');
const { ARCHITECTURES } = require('../bundle/dist/src/index.js');

const APPS = Number(process.argv[2] ?? 10_000);
const RELEASES = Number(process.argv[3] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-release-'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

try {
  let t = Date.now();
  store.initStore(dir);
  const ctx = store.openStore(dir);
  const services = store.storeServices(ctx);
  const { account } = accountService(ctx).create('bench');
  console.error(`init: ${Date.now() - t} ms`);

  // Fixture: APPS apps, one revision each on latest/stable, imported in one commit (rows and blobs
  // written directly; uploads are not what is measured here).
  t = Date.now();
  const entries = [];
  ctx.db.transaction(() => {
    for (let i = 0; i < APPS; i++) {
      const name = `app-${String(i).padStart(5, '0')}`;
      const blob = randomBytes(512);
      const sha256 = createHash('sha256').update(blob).digest('hex');
      writeFileSync(join(ctx.paths.blobs, sha256), blob);
      const appId = ctx.apps.create(name, account.id);
      ctx.apps.addRevision({ app_id: appId, revision: 1, sha256, size: blob.length, version: '1.0', key_id: 'bench', architectures: 'all' });
      ctx.apps.setChannel(appId, 'latest/stable', ARCHITECTURES, 1);
      entries.push({
        channelMap: { name, channels: { 'latest/stable': { revision: 1, version: '1.0' } } },
        bundles: [{ name, revision: 1, sha256, size: blob.length, version: '1.0', publisher: 'bench', blobPath: join(ctx.paths.blobs, sha256) }],
      });
    }
  })();
  ctx.tuf.publishApps(entries);
  console.error(`fixture of ${APPS} apps: ${Date.now() - t} ms`);
  const world = ctx.tuf.currentMetadataBytes();

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

  // Where the time goes: one tweetnacl signature over a snapshot-sized payload.
  const { signBytes, generateKeyPair } = require('../bundle/dist/src/index.js');
  const kp = generateKeyPair();
  const payload = randomBytes(16 * 1024);
  const s0 = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) signBytes(kp.secretKey, payload);
  const signMs16k = Number(process.hrtime.bigint() - s0) / 1e6 / 20;
  ctx.close();

  const summary = (p) => ({
    metadataBytes: { median: median(p.bytes), max: Math.max(...p.bytes) },
    files: { median: median(p.files), max: Math.max(...p.files) },
    ms: { median: +median(p.ms).toFixed(1), p90: +pct(p.ms, 0.9).toFixed(1) },
  });
  const result = {
    apps: APPS, releases: RELEASES, bins: 2 ** store.DEFAULT_SETTINGS.binBitLength,
    metadataBytesPerRelease: { median: median(bytes), max: Math.max(...bytes) },
    filesPerRelease: { median: median(files), max: Math.max(...files) },
    msPerRelease: { median: +median(ms).toFixed(1), p90: +pct(ms, 0.9).toFixed(1) },
    repointChannel: summary(phases.existing),
    newRevision: summary(phases.newRevision),
    tweetnaclSignMsPer16KiB: +signMs16k.toFixed(1),
    baselineAllMetadataBytes: world,
    ratioRewrittenToAll: +(median(bytes) / world).toFixed(4),
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`per release: ${result.metadataBytesPerRelease.median} bytes in ${result.filesPerRelease.median} files ` +
    `(${(100 * result.ratioRewrittenToAll).toFixed(2)}% of the ${world} bytes of all metadata), ${result.msPerRelease.median} ms median`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
