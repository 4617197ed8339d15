#!/usr/bin/env node
// The copy of an app's data on refresh: the app frozen, then the fd-relative copy
// (openat2 beneath each folder, owner forced, setuid dropped), then thawed, exactly as the copy-data
// task does it, against `cp -a` of the same folder. 10,000 small files and 200 MB in all. Needs root.
// Usage: node bench/data-copy.mjs [--runs N] [--files N] [--mb M]
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, rmdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(top, 'test', 'package.json'));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, files: { type: 'string', default: '10000' }, mb: { type: 'string', default: '200' } } });
const RUNS = Number(values.runs);
const FILES = Number(values.files);
const MB = Number(values.mb);
if (process.getuid?.() !== 0) { console.error('bench/data-copy.mjs needs root: it chowns to an app uid and freezes a cgroup'); process.exit(1); }

const { copyRevisionData, removeAppData, withAppFrozen } = require(join(top, 'client/dist/src/device/appdata.js'));
const { DevicePaths } = require(join(top, 'client/dist/src/device/paths.js'));
const { probeCgroups, launchCgroupPath } = require(join(top, 'confinement/dist/src/index.js'));

const NAME = 'benchdata';
const UID = 61977;
const SMALL_BYTES = 4096;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const now = () => Number(process.hrtime.bigint()) / 1e6;

const work = mkdtempSync(join(tmpdir(), 'skiff-bench-data-'));
const paths = new DevicePaths(join(work, 'root'));
const src = paths.revDataDir(NAME, 1);
// A running "app" in a cgroup named as the launcher names it, so the freeze has a process to stop.
const layout = probeCgroups();
const cgroup = layout.version === 2 ? join(layout.root, launchCgroupPath(NAME, NAME, `${process.pid}`))
  : join(layout.root, 'freezer', launchCgroupPath(NAME, NAME, `${process.pid}`));
const app = spawn('/bin/sleep', ['3600'], { stdio: 'ignore' });
try {
  mkdirSync(cgroup, { recursive: true });
  writeFileSync(join(cgroup, 'cgroup.procs'), String(app.pid));
  process.stderr.write(`making ${FILES} small files and ${MB} MB in all...\n`);
  mkdirSync(src, { recursive: true });
  const own = (p) => chownSync(p, UID, UID);
  own(src);
  const perDir = 100;
  for (let i = 0; i < FILES; i++) {
    const dir = join(src, `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) { mkdirSync(dir); own(dir); }
    writeFileSync(join(dir, `f${i}`), randomBytes(SMALL_BYTES));
    own(join(dir, `f${i}`));
  }
  const bigBytes = MB * 1024 * 1024 - FILES * SMALL_BYTES;
  for (let i = 0; bigBytes > 0 && i < 4; i++) {
    writeFileSync(join(src, `big${i}`), randomBytes(Math.floor(bigBytes / 4)));
    own(join(src, `big${i}`));
  }
  spawnSync('sync');

  const dest = paths.revDataDir(NAME, 2);
  const timeCp = () => {
    spawnSync('sync');  // each copy starts with no dirty pages of the one before
    const t = now();
    const r = spawnSync('cp', ['-a', src, dest]);
    if (r.status !== 0) throw new Error(`cp -a: ${r.stderr}`);
    const ms = now() - t;
    rmSync(dest, { recursive: true, force: true });
    return ms;
  };
  const timeOurs = async () => {
    spawnSync('sync');
    const log = [];
    const t = now();
    await withAppFrozen(NAME, (l) => log.push(l), () => copyRevisionData(paths, NAME, 1, '2', UID));
    const ms = now() - t;
    if (!log.some((l) => /froze 1 cgroup/.test(l))) throw new Error(`the app was not frozen: ${log.join('; ')}`);
    removeAppData(dest);
    return ms;
  };
  const ours = [], cps = [], ratios = [];
  for (let run = 0; run < RUNS; run++) {
    // Alternate which goes first, so neither always meets the other's writeback.
    let ms, cp;
    if (run % 2) { ms = await timeOurs(); cp = timeCp(); } else { cp = timeCp(); ms = await timeOurs(); }
    ours.push(ms); cps.push(cp); ratios.push(ms / cp);
    process.stderr.write(`run ${run + 1}: freeze + fd copy ${ms.toFixed(0)} ms, cp -a ${cp.toFixed(0)} ms, ratio ${(ms / cp).toFixed(2)}\n`);
  }
  console.log(`app data of ${FILES} small files, ${MB} MB in all, ${RUNS} runs (medians):`);
  console.log(`  freeze + fd-relative copy (as refresh): ${median(ours).toFixed(0)} ms`);
  console.log(`  cp -a:                                  ${median(cps).toFixed(0)} ms`);
  console.log(`  ratio (median of per-run ratios): ${median(ratios).toFixed(2)}x (target <= 1.5x)`);
} finally {
  app.kill('SIGKILL');
  await new Promise((r) => app.once('exit', r));
  for (let i = 0; i < 100; i++) { try { rmdirSync(cgroup); break; } catch { await new Promise((r) => setTimeout(r, 10)); } }
  rmSync(work, { recursive: true, force: true });
}
