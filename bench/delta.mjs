#!/usr/bin/env node
// Delta updates (docs/deltas.md) on a real tree, this checkout's node_modules, in two variants: one dependency's
// files all changed (a version bump), and 10% of all files changed. For each, against baselines made in the same
// run: Skiff's delta size vs the changed files as tar + zstd -19 and vs xdelta3 between the two bundles; the
// device's rebuild time (loop mount, overlay, apply, write the image from the old blocks and new ones, sha256) vs
// downloading the full bundle at 50 Mbit/s; the rebuild's peak memory (zstd's max RSS, and Node's growth); the
// store's time to make the delta. Also the bundle format's zstd level 9 against mksquashfs's default 15 (size, pack time).
// Needs root (loop and overlay mounts). Usage: node bench/delta.mjs [--package fastify] [--package-tgz FILE] [--pad-mb 0]
//   --package-tgz: the old revision has this tarball of the package (`npm pack fastify@5.12.7`), the new one the
//   checkout's own version: a real version bump. Without it, every file of the package gets a new first line.
//   --pad-mb N adds N MB of random data (shared by both revisions): `--pad-mb 87` makes a ~100 MB bundle.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, lstatSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, relative, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(top, 'bundle', 'package.json'));
const { values } = parseArgs({ options: { package: { type: 'string', default: 'fastify' }, 'package-tgz': { type: 'string' }, 'pad-mb': { type: 'string', default: '0' } } });
if (process.getuid?.() !== 0) { console.error('bench/delta.mjs needs root: it loop-mounts bundles and mounts an overlay'); process.exit(1); }
const B = require(join(top, 'bundle/dist/src/index.js'));
const N = require(join(top, 'native/dist/src/index.js'));
const zstd = { compress: N.zstdCompressBlock, decompress: N.zstdDecompressBlock, patch: N.zstdPatch, makePatch: N.zstdMakePatch };

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { maxBuffer: 1 << 30, ...opts });
const now = () => Number(process.hrtime.bigint()) / 1e6;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const work = mkdtempSync(join(tmpdir(), 'skiff-bench-delta-'));

/** Every file under dir (relative), sorted; no link followed. */
function files(dir, rel = '') {
  const out = [];
  for (const n of readdirSync(join(dir, rel)).sort()) {
    const p = rel ? `${rel}/${n}` : n;
    const st = lstatSync(join(dir, p));
    if (st.isDirectory()) out.push(...files(dir, p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** A copy of node_modules without links that leave it (the workspace's own packages), as a bundle would need. */
function baseTree() {
  const tree = join(work, 'base');
  cpSync(join(top, 'node_modules'), tree, { recursive: true, verbatimSymlinks: true });
  const prune = (rel) => {
    for (const n of readdirSync(join(tree, rel))) {
      const p = join(rel, n);
      const st = lstatSync(join(tree, p));
      if (st.isSymbolicLink()) {
        const target = resolve(dirname(join(tree, p)), readlinkSync(join(tree, p)));
        const r = relative(tree, target);
        if (r.startsWith('..') || isAbsolute(r)) rmSync(join(tree, p));
      } else if (st.isDirectory()) prune(p);
    }
  };
  prune('');
  if (values['package-tgz']) {
    rmSync(join(tree, values.package), { recursive: true });
    mkdirSync(join(tree, values.package));
    sh('tar', ['-xzf', values['package-tgz'], '-C', join(tree, values.package), '--strip-components=1', '--no-same-owner']);
  }
  const pad = Number(values['pad-mb']);
  if (pad > 0) writeFileSync(join(tree, 'pad.bin'), randomBytes(pad * 1024 * 1024));
  return tree;
}

/** A bundle of `tree` with the bundle format's options (pack's own call). */
async function squash(tree, name) {
  const out = join(work, `${name}.skiff`);
  await B.squashTree(tree, out);
  return out;
}

/** Tools' peak RSS: mksquashfs and zstd run through /usr/bin/time wrappers that append "%M" (KB) to a log. */
function memoryShims() {
  const dir = join(work, 'shims');
  const log = join(work, 'maxrss.log');
  mkdirSync(dir, { recursive: true });
  for (const tool of ['zstd']) {
    writeFileSync(join(dir, tool), `#!/bin/sh\nexec /usr/bin/time -a -o ${log} -f "${tool} %M" /usr/bin/${tool} "$@"\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return { dir, log };
}

async function variant(label, base, baseBundle, change) {
  const tree = join(work, `tree-${label}`);
  cpSync(base, tree, { recursive: true, verbatimSymlinks: true });
  const changed = change(tree);
  const newBundle = await squash(tree, `new-${label}`);
  const full = statSync(newBundle).size;

  // Baseline 1: the changed files alone, tar + zstd -19.
  const list = join(work, `list-${label}`);
  writeFileSync(list, changed.join('\n') + '\n');
  const tarZst = join(work, `changed-${label}.tar.zst`);
  sh('sh', ['-c', `tar -C "${tree}" -cf - -T "${list}" | zstd -19 -q -T1 -c > "${tarZst}"`]);
  // Baseline 2: xdelta3 between the two bundles.
  const xd = join(work, `xdelta-${label}`);
  sh('xdelta3', ['-e', '-9', '-f', '-s', baseBundle, newBundle, xd]);

  // The store: make the delta (what its worker runs).
  const delta = join(work, `delta-${label}`);
  const t0 = now();
  const stats = await B.makeDelta(baseBundle, newBundle, delta, { workDir: work, level: 19, timeoutMs: 3_600_000, queueMiB: 64, zstd });
  const storeMs = now() - t0;

  // The device: mount the old bundle, overlay it, apply, re-pack, hash; as the rebuild task does.
  const shims = memoryShims();
  rmSync(shims.log, { force: true });
  const path = process.env.PATH;
  process.env.PATH = `${shims.dir}:${path}`;
  const dev = join(work, `dev-${label}`);
  const [lower, upper, wk, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(dev, d));
  for (const d of [lower, upper, wk, merged]) mkdirSync(d, { recursive: true });
  sh('mount', ['-o', 'loop,ro', baseBundle, lower]);
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 20);
  let rebuildMs;
  try {
    sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${wk}`, merged]);
    const t1 = now();
    const out = join(dev, 'rebuilt.skiff');
    await B.applyDelta(delta, merged, { timeoutMs: 3_600_000, sourceBundle: baseBundle, out, zstd });
    const digest = await B.hashFile(out);
    rebuildMs = now() - t1;
    const want = await B.hashFile(newBundle);
    if (digest.sha256 !== want.sha256) throw new Error(`${label}: the rebuilt bundle differs`);
  } finally {
    clearInterval(sampler);
    process.env.PATH = path;
    if (existsSync(merged)) try { sh('umount', [merged]); } catch { /* not mounted */ }
    sh('umount', [lower]);
  }
  const nodeGrowth = Math.max(0, rssPeak - rssBefore);
  const toolsKb = readFileSync(shims.log, 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([t, k]) => ({ t, k: Number(k) }));
  const peakTool = toolsKb.reduce((a, b) => (b.k > a.k ? b : a));
  const downloadMs = (full * 8) / 50e6 * 1000;
  return {
    label, files: changed.length, full, delta: stats.size, tarZst: statSync(tarZst).size, xdelta: statSync(xd).size,
    storeMs, rebuildMs, downloadMs, peakTool, nodeGrowth, image: stats.image,
  };
}

try {
  process.stderr.write('copying node_modules and packing the base bundle...\n');
  const base = baseTree();
  const all = files(base);
  let t = now();
  const baseBundle = await squash(base, 'base');
  const packMs = now() - t;
  // Baseline for the format's level: the same tree at mksquashfs's default zstd level (15).
  const level15 = join(work, 'level15.skiff');
  t = now();
  sh('mksquashfs', [base, level15, ...B.MKSQUASHFS_OPTIONS.map((o, i, all) => (all[i - 1] === '-Xcompression-level' ? '15' : o))]);
  const pack15Ms = now() - t;
  process.stderr.write(`base: ${all.length} files, bundle ${mb(statSync(baseBundle).size)}\n`);
  console.log(`bundle format zstd level 9: ${mb(statSync(baseBundle).size)} packed in ${(packMs / 1000).toFixed(1)} s; mksquashfs's default level 15: ${mb(statSync(level15).size)} in ${(pack15Ms / 1000).toFixed(1)} s (size ${(statSync(baseBundle).size / statSync(level15).size).toFixed(3)}x, pack time ${(packMs / pack15Ms).toFixed(2)}x)`);
  const pkg = values.package;
  const results = [];
  results.push(await variant(`${pkg} version changed`, base, baseBundle, (tree) => {
    if (values['package-tgz']) {
      // The real bump: the checkout's own version replaces the packed one; what differs is what changed.
      rmSync(join(tree, pkg), { recursive: true });
      cpSync(join(top, 'node_modules', pkg), join(tree, pkg), { recursive: true, verbatimSymlinks: true });
      return files(tree, pkg).filter((f) => !existsSync(join(base, f)) || !readFileSync(join(base, f)).equals(readFileSync(join(tree, f))));
    }
    // A version bump rewrites most of a package: every file gets a new header line and the new version.
    const mine = all.filter((f) => f.startsWith(`${pkg}/`));
    for (const f of mine) {
      const text = readFileSync(join(tree, f), 'latin1').replace(/"version": "[^"]*"/, '"version": "99.0.0"');
      writeFileSync(join(tree, f), `/* ${pkg} 99.0.0 */\n${text}`, 'latin1');
    }
    return mine;
  }));
  results.push(await variant('10% of files changed', base, baseBundle, (tree) => {
    const some = all.filter((_, i) => i % 10 === 0);
    for (const f of some) appendFileSync(join(tree, f), `\n/* changed ${randomBytes(8).toString('hex')} */\n`);
    return some;
  }));
  for (const r of results) {
    console.log(`\n${r.label}: ${r.files} files changed; full bundle ${mb(r.full)}`);
    console.log(`  delta ${kb(r.delta)}; changed files as tar+zstd -19 ${kb(r.tarZst)} (delta ${(r.delta / r.tarZst).toFixed(2)}x); xdelta3 between bundles ${kb(r.xdelta)} (delta ${(r.delta / r.xdelta).toFixed(2)}x)`);
    console.log(`  image part: ${mb(r.image.copiedBytes)} copied from the old bundle, ${r.image.compressedBlocks} blocks compressed on the device, ${kb(r.image.carriedBytes)} carried (before the delta's own zstd)`);
    console.log(`  device rebuild ${(r.rebuildMs / 1000).toFixed(2)} s vs full download at 50 Mbit/s ${(r.downloadMs / 1000).toFixed(2)} s (${(r.rebuildMs / r.downloadMs).toFixed(2)}x; target < 1)`);
    console.log(`  rebuild peak memory: ${r.peakTool.t} ${(r.peakTool.k / 1024).toFixed(0)} MB max RSS; Node's RSS grew at most ${mb(r.nodeGrowth)} (sampled every 20 ms)`);
    console.log(`  store: delta made in ${(r.storeMs / 1000).toFixed(1)} s`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
