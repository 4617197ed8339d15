#!/usr/bin/env node
// Install time of a 100 MB bundle (incompressible) from a loopback store, against the floor:
// `curl -o` + `sync FILE` (fsync) + `sha256sum` + `mount -o loop,ro` of the same file. Needs root (mounts).
// Usage: node bench/install.mjs [--runs N] [--mb M] [--mode auto|cli|library]
//   cli: `skiff --root R install` (and `skiff revert`), library: DeviceTrust refresh+download + native.mountBundle.
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installFloor, run } from './floor.mjs';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(top, 'test', 'package.json'));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, mb: { type: 'string', default: '100' }, mode: { type: 'string', default: 'auto' } } });
const RUNS = Number(values.runs);
const MB = Number(values.mb);
if (process.getuid?.() !== 0) { console.error('bench/install.mjs needs root: it loop-mounts bundles'); process.exit(1); }

const { TrustWorld } = require(join(top, 'test/dist/src/trust-fixture.js'));
const { DeviceTrust } = require(join(top, 'client/dist/src/trust/index.js'));
const native = require(join(top, 'native/dist/src/index.js'));
const skiffBin = join(top, 'client/bin/skiff');

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const now = () => Number(process.hrtime.bigint()) / 1e6;
/** The CLI path is used only when this checkout's skiff has a working `install` . */
function cliAvailable() {
  const r = spawnSync(process.execPath, [skiffBin, 'install', '--help'], { encoding: 'utf8' });
  return r.status === 0 && /--channel/.test(r.stdout);
}

const world = await TrustWorld.start();
try {
  process.stderr.write(`packing and publishing a ${MB} MB bundle...\n`);
  const v1 = await world.publish('benchapp', MB * 1024 * 1024, '1.0');
  const url = `${world.store.url}/repo/targets/apps/benchapp/${v1.sha256}.${v1.revision}.skiff`;
  const mode = values.mode === 'auto' ? (cliAvailable() ? 'cli' : 'library') : values.mode;
  const work = mkdtempSync(join(tmpdir(), 'skiff-bench-'));

  const floor = () => installFloor(url, v1.sha256, work, steps.floor);

  const library = async () => {
    const dir = mkdtempSync(join(work, 'lib-'));
    const trustDir = join(dir, 'trust');
    mkdirSync(trustDir);
    writeFileSync(join(trustDir, 'root.json'), readFileSync(world.store.rootJsonPath));
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    const t0 = now();
    const trust = new DeviceTrust({ trustDir, storeUrl: world.store.url });
    await trust.refresh();
    const target = await trust.channelTarget('benchapp', 'latest/stable');
    const t1 = now();
    const dest = join(dir, 'bundles', `benchapp_${target.custom.revision}.skiff`);
    await trust.download(target, dest, { progress: false });
    const t2 = now();
    native.mountBundle(dest, mnt);
    const ms = now() - t0;
    steps.ours.push({ 'TUF refresh + targets': t1 - t0, 'download+sha256+write+fsync': t2 - t1, mount: t0 + ms - t2 });
    native.unmount(mnt);
    rmSync(dir, { recursive: true, force: true });
    return ms;
  };

  const skiff = (root, args) => run(process.execPath, [skiffBin, '--root', root, ...args]);
  const cleanRoot = (root, app = 'benchapp') => {
    try { skiff(root, ['remove', app, '--purge']); } catch { /* unmount whatever is left below */ }
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const mp = line.split(' ')[4];
      if (mp && mp.startsWith(root + '/')) spawnSync('umount', ['-l', mp]);
    }
    rmSync(root, { recursive: true, force: true });
  };
  const cli = () => {
    const root = mkdtempSync(join(work, 'cli-'));
    skiff(root, ['setup', '--store', world.store.url, '--trust', world.store.rootJsonPath]);
    const t0 = now();
    skiff(root, ['install', 'benchapp']);
    const ms = now() - t0;
    cleanRoot(root);
    return ms;
  };

  const steps = { floor: [], ours: [] };
  const stepLine = (rows) => Object.keys(rows[0]).map((k) => `${k} ${median(rows.map((r) => r[k])).toFixed(0)}`).join(', ');
  // The CLI is measured when it works; the library path (DeviceTrust + native mount) always, to show the trust part's share.
  const modes = mode === 'cli' ? { cli, library } : { library };
  const floors = [];
  const mine = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
  floor(); for (const fn of Object.values(modes)) await fn(); // warm-up: page cache of the store's file, JIT, loop module
  steps.floor.length = steps.ours.length = 0;
  for (let i = 0; i < RUNS; i++) {
    floors.push(floor());
    for (const [k, fn] of Object.entries(modes)) mine[k].push(await fn());
  }

  let revertLine = '';
  let contextLines = '';
  if (mode === 'cli') {
    // Revert: install 1.0, refresh to 1.1, then time `skiff revert` back to 1.0.
    await world.publish('benchapp', MB * 1024 * 1024, '1.1');
    const reverts = [];
    for (let i = 0; i < RUNS; i++) {
      const root = mkdtempSync(join(work, 'revert-'));
      skiff(root, ['setup', '--store', world.store.url, '--trust', world.store.rootJsonPath]);
      skiff(root, ['install', 'benchapp', '--revision', String(v1.revision)]);
      skiff(root, ['refresh', 'benchapp']);
      const t0 = now();
      skiff(root, ['revert', 'benchapp']);
      reverts.push(now() - t0);
      cleanRoot(root);
    }
    const nodeStart = median(Array.from({ length: RUNS }, () => { const t0 = now(); run(process.execPath, ['-e', '0']); return now() - t0; }));
    // Where the CLI's time goes beyond the library path: process start with every module.
    const cliStart = median(Array.from({ length: RUNS }, () => { const t0 = now(); run(process.execPath, [skiffBin, '--help']); return now() - t0; }));
    // The CLI's fixed cost: the same install of an app whose bundle is 4 KB.
    await world.publish('tinyapp', 4096, '1.0');
    const tiny = median(Array.from({ length: RUNS }, () => {
      const root = mkdtempSync(join(work, 'tiny-'));
      skiff(root, ['setup', '--store', world.store.url, '--trust', world.store.rootJsonPath]);
      const t0 = now();
      skiff(root, ['install', 'tinyapp']);
      const ms = now() - t0;
      cleanRoot(root, 'tinyapp');
      return ms;
    }));
    contextLines = `\nContext for the CLI row (medians): \`skiff --help\` (process start, all modules loaded) ${cliStart.toFixed(0)} ms, ` +
      `\`node -e 0\` ${nodeStart.toFixed(0)} ms; \`skiff install\` of a 4 KB app (the CLI's fixed cost: start, TUF refresh, tasks, exit) ${tiny.toFixed(0)} ms.\n`;
    revertLine = `| \`skiff revert\` (${MB} MB app, 2 revisions kept) | ${median(reverts).toFixed(0)} ms | \`node -e 0\` ${nodeStart.toFixed(0)} ms | ${(median(reverts) / nodeStart).toFixed(2)}x |\n`;
  }
  rmSync(work, { recursive: true, force: true });

  const f = median(floors);
  const label = {
    cli: '`skiff install` (CLI process: refresh, download+verify, mount, switch, hooks)',
    library: 'DeviceTrust refresh + channel map + one-pass download/verify/fsync + native.mountBundle (library, in-process)',
  };
  // Each run times the floor and ours back to back: the median of those paired ratios cancels the drift of a shared machine.
  const paired = (xs) => median(xs.map((x, i) => x / floors[i]));
  const rows = Object.entries(mine).map(([k, xs]) => {
    const m = median(xs);
    const r = paired(xs);
    console.log(`install ${MB} MB, ${k}: ${m.toFixed(0)} ms vs floor ${f.toFixed(0)} ms; paired ratio ${r.toFixed(2)}x (target <= 1.25x), median of ${RUNS}`);
    return `| install ${MB} MB: ${label[k]} | ${m.toFixed(0)} ms | floor ${f.toFixed(0)} ms | ${r.toFixed(2)}x (target <= 1.25x) |\n`;
  }).join('');
  if (revertLine) console.log(revertLine.trim());
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
  const md = `# Install benchmark (bench/install.mjs)

Run: \`node bench/install.mjs --runs ${RUNS} --mb ${MB}\` as root, ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${cpu}, ${(await import('node:os')).cpus().length} CPUs (shared with other work).

A ${MB} MB bundle whose payload is random (incompressible), served by the real store (\`skiff-store serve\`, fastify, loopback).
Floor: \`curl -o\` + \`sync FILE\` (fsync) + \`sha256sum\` + \`mount -o loop,ro\` of the same file, from the same store.
Each run: floor, then ours (${Object.keys(modes).join(', ')}), each on a fresh device folder; one warm-up first. Times are medians; a ratio is the median of the per-run ratios (ours / that run's floor).
${mode === 'cli' ? '' : '`skiff install` was not available (or not asked for): only the library path was measured.\n'}
| measure | ours | baseline | ratio |
|---|---|---|---|
${rows}${revertLine}
${contextLines}
Steps, medians (ms): floor: ${stepLine(steps.floor)}; library: ${stepLine(steps.ours)}.

Per run (ms): ${Object.entries(mine).map(([k, xs]) => `${k} ${xs.map((x) => x.toFixed(0)).join(', ')}`).join('; ')}; floor ${floors.map((x) => x.toFixed(0)).join(', ')}.
`;
  writeFileSync(join(top, 'bench', 'RESULTS-install.md'), md);
} finally {
  await world.close();
}
