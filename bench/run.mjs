#!/usr/bin/env node
// `skiff run` (the CLI, Node on the launch path), the app wrapper (sh exec skiff-launch on a saved
// plan) and skiff-launch alone, against bwrap running /bin/true in the same sandbox, built from the
// same plan. Root only. Usage: node bench/run.mjs [--runs N] [--cli-runs N]; writes bench/RESULTS-run.md.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir, cpus, release } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
if (process.getuid() !== 0) { console.error('bench/run.mjs: needs root (mounts, namespaces, cgroups)'); process.exit(1); }
for (const tool of ['bwrap', 'mksquashfs']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) { console.error(`bench/run.mjs: needs ${tool}`); process.exit(1); }
}
const work = mkdtempSync(join(tmpdir(), 'skiff-bench-run-'));
// A private copy of the native build for the whole run (CLI children inherit it): a rebuild of
// native/ while the benchmark runs must not pull the launcher out from under it.
if (!process.env.SKIFF_NATIVE_BUILD_DIR) {
  const built = join(top, 'native', 'build', 'Release');
  mkdirSync(join(work, 'native'));
  for (const f of ['skiff_native.node', 'skiff-launch']) copyFileSync(join(built, f), join(work, 'native', f));
  chmodSync(join(work, 'native', 'skiff-launch'), 0o755);
  process.env.SKIFF_NATIVE_BUILD_DIR = join(work, 'native');
}
const native = require(join(top, 'native'));
const { probeCgroups } = require(join(top, 'confinement'));
const skiff = join(top, 'client', 'bin', 'skiff');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const RUNS = arg('--runs', 200);
const CLI_RUNS = arg('--cli-runs', 40);
const WARMUP = 5;
const APP = 'truebench';

const must = (r, what) => {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout.trim().split('\n').pop();
};

/** One way of starting the app: spawnSync arguments, made fresh for each run. */
const way = (label, file, args, extra = () => ({})) => ({ label, file, args, extra });

/**
 * Runs every way once per round, round after round (so load drift on a shared box hits all alike),
 * after a warm-up; returns the median and 90th percentile of each, in milliseconds.
 */
function timeRounds(ways, rounds) {
  const ms = ways.map(() => []);
  for (let i = 0; i < WARMUP + rounds; i++) {
    // Each round starts one way later: a sandbox that follows another pays for the kernel's cleanup of
    // the namespaces just left behind (a network namespace is torn down in the background).
    ways.map((_, j) => (i + j) % ways.length).forEach((k) => {
      const w = ways[k];
      const { fds = [], ...opts } = w.extra();
      const t0 = process.hrtime.bigint();
      const r = spawnSync(w.file, w.args, { stdio: ['ignore', 'ignore', 'pipe', ...fds], ...opts });
      const t = Number(process.hrtime.bigint() - t0) / 1e6;
      fds.forEach((fd) => closeSync(fd));
      if (r.status !== 0) throw new Error(`${w.label}: exit ${r.status ?? r.signal}: ${r.stderr}`);
      if (i >= WARMUP) ms[k].push(t);
    });
  }
  return ways.map((w, k) => {
    const v = ms[k].sort((a, b) => a - b);
    return { label: w.label, n: rounds, median: v[Math.floor(rounds / 2)], p90: v[Math.floor(rounds * 0.9)] };
  });
}

/** The same sandbox for bwrap, row by row from the saved plan; bwrap needs a user namespace to change uid. */
function bwrapArgs(plan, seccompFds) {
  const a = ['--unshare-user', '--uid', String(plan.uid), '--gid', String(plan.gid), '--die-with-parent', '--new-session',
    // '/', not the plan's /data: bwrap's uid maps to the host's root, which the app's 0700 data folder refuses.
    '--cap-drop', 'ALL', '--clearenv', '--hostname', plan.hostname, '--chdir', '/'];
  for (const ns of plan.namespaces) if (ns !== 'mount') a.push(`--unshare-${ns}`);
  for (const kv of plan.env) { const i = kv.indexOf('='); a.push('--setenv', kv.slice(0, i), kv.slice(i + 1)); }
  for (const r of plan.mounts) {
    if (r.kind === 'tmpfs') a.push('--perms', /mode=(\d+)/.exec(r.data ?? '')?.[1] ?? '0755', '--tmpfs', r.target);
    else if (r.kind === 'proc') a.push('--proc', r.target);
    else if (r.kind === 'symlink') a.push('--symlink', r.source, r.target);
    else if (r.kind === 'mkdir') a.push('--dir', r.target);
    else if (r.source.startsWith('/dev/')) a.push('--dev-bind', r.source, r.target);
    else a.push(r.flags.includes('ro') ? (r.optional ? '--ro-bind-try' : '--ro-bind') : (r.optional ? '--bind-try' : '--bind'), r.source, r.target);
  }
  for (const fd of seccompFds) a.push('--add-seccomp-fd', String(fd));
  return [...a, ...plan.argv];
}

const root = join(work, 'root');
let installed = false;
try {
  // 1. An app whose command is /bin/true, packed and installed with the real CLI.
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'meta'), { recursive: true });
  mkdirSync(join(tree, 'bin'));
  writeFileSync(join(tree, 'meta', 'app.yaml'), `name: ${APP}\nversion: '1'\nsummary: starts and exits\napps:\n  ${APP}:\n    command: bin/true\n`);
  copyFileSync('/usr/bin/true', join(tree, 'bin', 'true'));
  const bundle = must(spawnSync(process.execPath, [skiff, 'pack', tree, '-o', work], { encoding: 'utf8' }), 'skiff pack');
  must(spawnSync(process.execPath, [skiff, '--root', root, 'install', '--dangerous', bundle], { encoding: 'utf8' }), 'skiff install');
  installed = true;
  const wrapper = join(root, 'skiff', 'bin', APP);
  const planFile = join(root, 'var', 'lib', 'skiff', 'plans', `${APP}.${APP}.json`);
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));

  // 2. bwrap gets the very filters skiff-launch loads (the ioctl guard, then the allowlist), compiled by the addon.
  const bpfFiles = native.compileSeccomp(plan).map((prog, i) => { const f = join(work, `filter-${i}.bpf`); writeFileSync(f, prog); return f; });

  // 3. Time each way of starting the app, all from this process with spawnSync.
  // bwrap reads each filter from its descriptor, which must be at its start: fresh ones every run.
  const filters = () => ({ fds: bpfFiles.map((f) => openSync(f, 'r')) });
  const launcher = way('skiff-launch PLAN (no Node)', native.launcherPath(), [planFile]);
  const rows = [
    ...timeRounds([
      way('/bin/true, no sandbox', '/bin/true', []),
      way('bwrap, same mounts and namespaces, no seccomp', 'bwrap', bwrapArgs(plan, [])),
      way(`bwrap, same sandbox + the same seccomp filters (${plan.seccomp.allow.length} names)`, 'bwrap', bwrapArgs(plan, bpfFiles.map((_, i) => 3 + i)), filters),
      launcher,
      way(`wrapper <root>/skiff/bin/${APP} (sh, then skiff-launch)`, wrapper, []),
    ], RUNS),
    ...timeRounds([
      way('node -e 0 (Node start-up alone)', process.execPath, ['-e', '0']),
      way('skiff --version (Node + loading the CLI)', process.execPath, [skiff, '--version']),
      way(`skiff run ${APP} (CLI: Node, modules, state.db, plan, spawn)`, process.execPath, [skiff, '--root', root, 'run', APP]),
    ], CLI_RUNS),
  ];

  // 4. Ratios against bwrap with seccomp, the closest equivalent.
  const base = rows[2].median;
  const cg = (() => { try { const c = probeCgroups(); return `cgroup v${c.version} at ${c.root}`; } catch (e) { return String(e.message); } })();
  const table = rows.map((r) => `| ${r.label} | ${r.n} | ${r.median.toFixed(2)} | ${r.p90.toFixed(2)} | ${(r.median / base).toFixed(2)}x |`);
  const md = `# \`skiff run\` and the wrapper against bwrap

Written by \`node bench/run.mjs\` (root) on ${new Date().toISOString().slice(0, 16)}Z: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), kernel ${release()}, ${cg}.
Each row starts \`/bin/true\` (copied into the bundle as \`/app/bin/true\`) from Node's \`spawnSync\`, ${WARMUP} warm-up runs first;
times include spawnSync's own fork/exec and wait, the same for every row (see the first row).
bwrap gets the same mount table, namespaces, environment, app uid and seccomp programs (from \`native.compileSeccomp\`),
generated from the saved plan; it needs a user namespace to change uid and creates no cgroup, while skiff-launch
switches uid as root and also creates, limits and removes a cgroup per launch. Load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}.

| how | runs | median ms | p90 ms | vs bwrap+seccomp |
|---|---|---|---|---|
${table.join('\n')}

- skiff-launch alone vs bwrap+seccomp: **${(rows[3].median / base).toFixed(2)}x** (target: within 1.5x).
- The wrapper adds one \`sh\` exec: ${(rows[4].median - rows[3].median).toFixed(2)} ms.
- \`skiff run\` costs ${(rows[7].median / rows[3].median).toFixed(1)}x skiff-launch: Node itself ${rows[5].median.toFixed(1)} ms, loading the CLI's
  modules ${(rows[6].median - rows[5].median).toFixed(1)} ms more, then the state, the plan and the launch ${(rows[7].median - rows[6].median).toFixed(1)} ms.
  Apps, scripts and services should start through the wrapper; \`skiff run\` is for people.
`;
  writeFileSync(join(top, 'bench', 'RESULTS-run.md'), md);
  process.stdout.write(md);
} finally {
  if (installed) spawnSync(process.execPath, [skiff, '--root', root, 'remove', APP], { stdio: 'inherit' });
  // Whatever remove left mounted must go before the folder can be deleted.
  for (const m of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p) => p?.startsWith(root))) {
    try { native.unmount(m, { lazy: true }); } catch { /* reported by rmSync below */ }
  }
  try { rmSync(work, { recursive: true, force: true }); } catch (e) { console.error(`bench: left ${work}: ${e.message}`); }
}
