#!/usr/bin/env node
// What an app data volume costs: making and mounting one (what install adds), against the same steps by
// hand (truncate + mkfs.ext4 + mount -o loop); and writing to it, against the host filesystem it sits on.
// Usage: node bench/data-volume.mjs [--runs N] [--mb M] [--size 1G]. Needs root (loop mounts).
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(top, 'client', 'package.json'));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '11' }, mb: { type: 'string', default: '100' }, size: { type: 'string', default: '1G' } } });
const RUNS = Number(values.runs);
const MB = Number(values.mb);
if (process.getuid?.() !== 0) { console.error('bench/data-volume.mjs needs root: it loop-mounts volumes'); process.exit(1); }

const { createVolume, mountVolumeAt, unmountVolumeAt, deleteVolume } = require(join(top, 'client/dist/src/device/data-volume.js'));
const { parseSize } = require(join(top, 'bundle/dist/src/index.js'));
const BYTES = parseSize(values.size);
const PATH = `${process.env.PATH}:/usr/sbin:/sbin`;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const now = () => Number(process.hrtime.bigint()) / 1e6;
function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PATH } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}
/** Writes MB MiB of zeros to file with one fsync at the end (dd conv=fsync), in ms. */
const writeMb = (file) => { const t0 = now(); run('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${MB}`, 'conv=fsync', 'status=none']); return now() - t0; };

const work = mkdtempSync(join(tmpdir(), 'skiff-bench-volume-'));
const m = { ours: [], floor: [], writeVolume: [], writeBuffered: [], writeHost: [] };
try {
  for (let i = 0; i <= RUNS; i++) {
    const dir = join(work, `run-${i}`);
    mkdirSync(dir);
    // Ours: what the mount-data task does for a new app.
    const image = join(dir, 'ours.img');
    const mnt = join(dir, 'ours');
    let t0 = now();
    createVolume(image, BYTES);
    mountVolumeAt(image, mnt);
    const ours = now() - t0;
    const inVolume = writeMb(join(mnt, 'blob'));
    unmountVolumeAt(mnt);
    deleteVolume(image);
    // Floor: the same steps with the stock tools.
    const fimage = join(dir, 'floor.img');
    const fmnt = join(dir, 'floor');
    mkdirSync(fmnt);
    t0 = now();
    run('truncate', ['-s', String(BYTES), fimage]);
    run('mkfs.ext4', ['-q', '-b', '4096', '-m', '0', '-E', 'assume_storage_prezeroed=1', fimage]);
    run('mount', ['-o', 'loop,nosuid,nodev', fimage, fmnt]); // buffered loop: what mount(8) does by default
    const floor = now() - t0;
    const inBuffered = writeMb(join(fmnt, 'blob'));
    run('umount', [fmnt]);
    const onHost = writeMb(join(dir, 'host-blob'));
    rmSync(dir, { recursive: true, force: true });
    if (i === 0) continue; // warm-up
    m.ours.push(ours); m.floor.push(floor); m.writeVolume.push(inVolume); m.writeBuffered.push(inBuffered); m.writeHost.push(onHost);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const f = (x) => x.toFixed(1);
const ratio = (a, b) => median(a.map((x, i) => x / b[i]));
const rows = [
  [`make and mount a ${values.size} volume (createVolume + mountVolumeAt)`, median(m.ours), `truncate + mkfs.ext4 + mount -o loop ${f(median(m.floor))} ms`, ratio(m.ours, m.floor)],
  [`write ${MB} MiB + fsync inside the volume (direct-I/O loop)`, median(m.writeVolume), `the same on the host filesystem ${f(median(m.writeHost))} ms`, ratio(m.writeVolume, m.writeHost)],
  [`the same inside the floor's volume (mount -o loop: buffered loop)`, median(m.writeBuffered), `the same on the host filesystem ${f(median(m.writeHost))} ms`, ratio(m.writeBuffered, m.writeHost)],
];
for (const [what, ms, base, r] of rows) console.log(`${what}: ${f(ms)} ms vs ${base}; ratio ${r.toFixed(2)}x`);
const md = `# Data volume benchmark (bench/data-volume.mjs)

Run: \`node bench/data-volume.mjs --runs ${RUNS} --mb ${MB} --size ${values.size}\` as root, ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, 2 shared CPUs.
Medians of ${RUNS} runs after one warm-up; a ratio is the median of per-run ratios.

| measure | ours | baseline (same run) | ratio |
|---|---|---|---|
${rows.map(([what, ms, base, r]) => `| ${what} | ${f(ms)} ms | ${base} | ${r.toFixed(2)}x |`).join('\n')}

Per run (ms): ours ${m.ours.map(f).join(', ')}; floor ${m.floor.map(f).join(', ')};
write in volume ${m.writeVolume.map(f).join(', ')}; write in buffered loop ${m.writeBuffered.map(f).join(', ')}; write on host ${m.writeHost.map(f).join(', ')}.
`;
writeFileSync(join(top, 'bench', 'RESULTS-data-volume.md'), md);
