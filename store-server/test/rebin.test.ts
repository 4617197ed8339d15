// Re-binning in the repository: targets keep their entries, bins that reuse an earlier layout's name
// move to a higher version, the snapshot keeps listing every earlier bin, and a reopened store sees it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { BIN_PREFIX, binBitsFor, initStore, openStore } from '../src/index';

test('rebin 4 -> 3 -> 4 bits: every target kept, reused bin names get higher versions, a reopened store agrees', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rebin-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  initStore(dir, { binBitLength: 4 });
  let ctx = openStore(dir);
  t.after(() => ctx.close());
  const apps = Array.from({ length: 40 }, (_, i) => {
    const name = `app-${i}`;
    const blob = Buffer.from(name);
    const sha256 = createHash('sha256').update(blob).digest('hex');
    writeFileSync(join(ctx.paths.blobs, sha256), blob);
    return {
      channelMap: { name, channels: { 'latest/stable': { revision: 1, version: '1.0' } } },
      bundles: [{ name, revision: 1, sha256, size: blob.length, version: '1.0', publisher: 'p', blobPath: join(ctx.paths.blobs, sha256) }],
    };
  });
  ctx.tuf.publishApps(apps);
  const paths = apps.flatMap((a) => [`apps/${a.channelMap.name}/channels.json`, `apps/${a.channelMap.name}/1.skiff`]);
  const before = new Map(paths.map((p) => [p, ctx.tuf.target(p)!.toJSON()]));
  assert.equal(ctx.tuf.targetCount, 80);
  const bin0 = () => ctx.tuf.bin(`${BIN_PREFIX}-0`)!.signed.version;
  const v4 = bin0();
  const vF = ctx.tuf.bin(`${BIN_PREFIX}-f`)!.signed.version;

  const report = ctx.tuf.rebin(3);
  assert.equal(report.files.length, 8 + 3, 'eight bins, targets, snapshot, timestamp');
  assert.equal(ctx.tuf.versions.targets, 2);
  assert.ok(bin0() > v4, 'bins-0 of the new layout outranks bins-0 of the old one');
  assert.equal(ctx.tuf.bin(`${BIN_PREFIX}-f`), undefined, 'bins of the old layout are no longer served from memory');
  const v3 = bin0();
  ctx.tuf.rebin(4);
  assert.ok(bin0() > v3);
  // bins-f was not in the 3-bit layout: its version still comes after the 4-bit layout's first bins-f.
  assert.ok(ctx.tuf.bin(`${BIN_PREFIX}-f`)!.signed.version > vF);
  assert.throws(() => ctx.tuf.rebin(17), /bin bit length must be an integer within 1\.\.16, got 17/);

  ctx.close();
  ctx = openStore(dir);
  for (const p of paths) assert.deepEqual(ctx.tuf.target(p)!.toJSON(), before.get(p), p);
  assert.equal(ctx.tuf.binFor('apps/app-1/1.skiff').length, `${BIN_PREFIX}-0`.length);
  assert.equal(ctx.tuf.versions.targets, 3);
});

test('binBitsFor grows with the catalogue, up to 4,096 bins: 512 at 10,000 targets, 2,048 at 200,000, 4,096 from 630,000', () => {
  assert.equal(binBitsFor(1_000), 7);
  assert.equal(binBitsFor(10_000), 9);
  assert.equal(binBitsFor(200_000), 11);
  assert.equal(binBitsFor(1_000_000), 12);
  assert.equal(binBitsFor(5_000_000), 12);
});
