#!/usr/bin/env node
// Benchmark: confined start-up of /bin/true. skiff-launch against bwrap (Debian bubblewrap)
// building an equivalent sandbox, each with and without a comparable seccomp filter, and /bin/true
// bare. Runs after `npm run build`, as root. Usage: node bench/launch.mjs [--runs N] [--write]
// --write records the figures in bench/RESULTS-launch.md. Target: skiff-launch within 1.5x of bwrap.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, openSync, closeSync, readFileSync, rmSync, rmdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, cpus, release } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGET_RATIO = 1.5;
const DEFAULT_RUNS = 200;
const WARMUP_RUNS = 10;
const APP_ID = 65534;  // nobody: both sandboxes run /bin/true unprivileged
const DENIED = ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'ptrace', 'kexec_load', 'init_module',
  'bpf', 'perf_event_open', 'keyctl', 'add_key', 'open_by_handle_at', 'reboot', 'swapon'];

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const native = require(join(top, 'native', 'dist', 'src', 'index.js'));

const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : DEFAULT_RUNS;
if (process.getuid() !== 0) { console.error('bench/launch.mjs: needs root (namespaces and mounts)'); process.exit(1); }
if (!existsSync('/usr/bin/bwrap')) { console.error('bench/launch.mjs: bwrap is missing (apt-get install bubblewrap)'); process.exit(1); }

// The same sandbox for both: host /usr and /etc read-only, merged-/usr symlinks, new /proc,
// private /tmp, new mount/pid/ipc/uts/cgroup/net namespaces, unprivileged user, no capabilities.
const merged = ['bin', 'lib', 'lib64', 'sbin'].filter((d) => existsSync(`/${d}`));
const allow = [...readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', 'utf8').matchAll(/#define __NR_(\w+) \d+/g)]
  .map((m) => m[1]).filter((n) => !DENIED.includes(n));
const plan = {
  argv: ['/bin/true'], env: ['PATH=/usr/bin:/bin'], cwd: '/', hostname: 'bench',
  namespaces: ['mount', 'pid', 'ipc', 'uts', 'cgroup', 'net'],
  mounts: [
    { kind: 'bind', source: '/usr', target: '/usr', flags: ['ro', 'nosuid', 'nodev'], reason: 'host /usr' },
    ...merged.map((d) => ({ kind: 'symlink', source: `usr/${d}`, target: `/${d}`, flags: [], reason: 'merged /usr' })),
    { kind: 'bind', source: '/etc', target: '/etc', flags: ['ro', 'nosuid', 'nodev'], reason: 'host /etc' },
    { kind: 'proc', source: '', target: '/proc', flags: [], reason: 'new /proc' },
    { kind: 'tmpfs', source: '', target: '/tmp', flags: ['nosuid', 'nodev'], reason: 'private /tmp' },
  ],
  uid: APP_ID, gid: APP_ID, cgroup: null, seccomp: null,
};
const seccomp = { defaultAction: 'errno', errno: 1, allow, denyIoctls: [] };
// For information: the cost of a cgroup of its own with limits (v1 here: memory, pids and cpu folders).
const v1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
const cgroup = { version: v1 ? 1 : 2, root: '/sys/fs/cgroup', path: `skiff-bench/launch-${process.pid}`,
  memoryBytes: 64 * 1024 * 1024, pidsMax: 64, cpuQuotaUs: 50000, cpuPeriodUs: 100000 };

const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-launch-'));
const planFile = join(dir, 'plan.json');
const seccompPlanFile = join(dir, 'plan-seccomp.json');
writeFileSync(planFile, JSON.stringify(plan));
writeFileSync(seccompPlanFile, JSON.stringify({ ...plan, seccomp }));
const cgroupPlanFile = join(dir, 'plan-cgroup.json');
writeFileSync(cgroupPlanFile, JSON.stringify({ ...plan, seccomp, cgroup }));
// Our compiled BPF, handed to bwrap so both sandboxes run the very same filters.
const programs = native.compileSeccomp({ ...plan, seccomp });
const bpfFiles = programs.map((p, i) => { const f = join(dir, `filter-${i}.bpf`); writeFileSync(f, p); return f; });

const launcher = native.launcherPath();
const bwrapBase = ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup', '--unshare-net',
  '--uid', String(APP_ID), '--gid', String(APP_ID), '--cap-drop', 'ALL', '--new-session', '--hostname', 'bench',
  '--ro-bind', '/usr', '/usr', ...merged.flatMap((d) => ['--symlink', `usr/${d}`, `/${d}`]),
  '--ro-bind', '/etc', '/etc', '--proc', '/proc', '--tmpfs', '/tmp'];
// bwrap reads each filter from a descriptor: 3, 4, ... in the child's stdio array.
const bwrapSeccomp = [...bwrapBase, ...bpfFiles.flatMap((_, i) => ['--add-seccomp-fd', String(3 + i)])];

const cases = [
  { name: 'bare /bin/true', cmd: '/bin/true', argv: [] },
  { name: 'bwrap', cmd: 'bwrap', argv: [...bwrapBase, '/bin/true'] },
  { name: 'skiff-launch', cmd: launcher, argv: [planFile] },
  { name: 'bwrap + seccomp', cmd: 'bwrap', argv: [...bwrapSeccomp, '/bin/true'], bpf: true },
  { name: 'skiff-launch + seccomp', cmd: launcher, argv: [seccompPlanFile] },
  { name: 'skiff-launch + seccomp + cgroup limits', cmd: launcher, argv: [cgroupPlanFile], info: true },
];

function once(c) {
  const fds = c.bpf ? bpfFiles.map((f) => openSync(f, 'r')) : [];
  const start = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.argv, { stdio: ['ignore', 'ignore', 'pipe', ...fds] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  for (const fd of fds) closeSync(fd);
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return ms;
}

const HYPERFINE_RUNS = 100;
const shq = (a) => `'${String(a).replace(/'/g, "'\\''")}'`;

/** The same cases timed by hyperfine, when installed: a second opinion without Node in the loop. */
function hyperfine() {
  if (spawnSync('hyperfine', ['--version']).status !== 0) return [];
  const json = join(dir, 'hyperfine.json');
  const commands = cases.map((c) => [c.cmd, ...c.argv].map(shq).join(' ') + (c.bpf ? bpfFiles.map((f, i) => ` ${3 + i}<${shq(f)}`).join('') : ''));
  // Through hyperfine's shell (its start-up is measured and subtracted): bwrap's filters need redirections.
  const r = spawnSync('hyperfine', ['-w', String(WARMUP_RUNS), '-r', String(Math.min(runs, HYPERFINE_RUNS)), '--export-json', json, ...commands],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) return [`(hyperfine failed: ${String(r.stderr).trim().split('\n').pop()})`];
  const results = JSON.parse(readFileSync(json, 'utf8')).results;
  const ms = new Map(cases.map((c, i) => [c.name, results[i].median * 1000]));
  return [
    `| case (hyperfine) | median ms | vs bwrap (same filters) |`,
    `|---|---:|---:|`,
    ...cases.map((c) => {
      const m = ms.get(c.name);
      const base = c.name === 'bare /bin/true' ? null : ms.get(c.name.includes('seccomp') ? 'bwrap + seccomp' : 'bwrap');
      return `| ${c.name} | ${m.toFixed(2)} | ${base === null ? '' : (m / base).toFixed(2) + 'x'} |`;
    }),
  ];
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

try {
  for (const c of cases) for (let i = 0; i < WARMUP_RUNS; i++) once(c);
  const times = new Map(cases.map((c) => [c.name, []]));
  // Interleaved rounds: load from other work on the machine falls on every case alike.
  for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.name).push(once(c));
  const med = new Map([...times].map(([k, v]) => [k, median(v)]));
  const ratio = med.get('skiff-launch') / med.get('bwrap');
  const ratioSeccomp = med.get('skiff-launch + seccomp') / med.get('bwrap + seccomp');
  const bare = med.get('bare /bin/true');
  const lines = [
    `| case | median ms | vs bwrap (same filters) | sandbox cost (minus bare) ms | cost vs bwrap |`,
    `|---|---:|---:|---:|---:|`,
    ...cases.map((c) => {
      const m = med.get(c.name);
      if (c.name === 'bare /bin/true') return `| ${c.name} | ${m.toFixed(2)} | | | |`;
      const base = c.name.includes('seccomp') ? med.get('bwrap + seccomp') : med.get('bwrap');
      return `| ${c.name} | ${m.toFixed(2)} | ${(m / base).toFixed(2)}x | ${(m - bare).toFixed(2)} | ${((m - bare) / (base - bare)).toFixed(2)}x |`;
    }),
  ];
  const hyperfineLines = args.includes('--no-hyperfine') ? [] : hyperfine();
  const verdict = `skiff-launch/bwrap = ${ratio.toFixed(2)}x, with seccomp ${ratioSeccomp.toFixed(2)}x (target <= ${TARGET_RATIO}x): ` +
    (Math.max(ratio, ratioSeccomp) <= TARGET_RATIO ? 'met' : 'NOT met');
  console.log(lines.join('\n'));
  if (hyperfineLines.length) console.log(hyperfineLines.join('\n'));
  console.log(verdict);
  if (args.includes('--write')) {
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const bwrapVersion = execFileSync('bwrap', ['--version'], { encoding: 'utf8' }).trim();
    const doc = `# Launch benchmark: skiff-launch against bwrap\n\n` +
      `Written by \`node bench/launch.mjs --write\` (${runs} interleaved runs per case after ${WARMUP_RUNS} warm-up runs; medians, ` +
      `timed from Node's spawnSync, so every case carries the same fork/exec overhead of the harness).\n\n` +
      `Each sandbox runs /bin/true as uid ${APP_ID} with host /usr and /etc read-only, merged-/usr symlinks, a new /proc, ` +
      `a private /tmp, and new mount, pid, ipc, uts, cgroup and net namespaces. "+ seccomp": the same two BPF programs in both ` +
      `(skiff's ioctl guard and a ${allow.length}-syscall allowlist, compiled by libseccomp; bwrap gets them with --add-seccomp-fd). ` +
      `skiff-launch parses the plan and compiles its filters with libseccomp at every start (about 2.5 ms for this allowlist, ` +
      `as a balanced tree); bwrap is handed them compiled. ` +
      `bwrap needs a user namespace to change uid (--unshare-user), skiff-launch uses setresuid as root. No cgroup in either, ` +
      `except the last row (for information, bwrap has no cgroups): a ${cgroup.version === 1 ? 'v1' : 'v2'} cgroup with memory, pids and cpu limits, made and removed per run.\n\n` +
      `Machine: ${cpus().length} CPUs, Linux ${release()}, ${bwrapVersion}, load average ${load} at the end of the run ` +
      `(a shared box: absolute figures move with the load, ratios much less).\n\n` +
      `${lines.join('\n')}\n\n**${verdict}**\n` +
      (hyperfineLines.length ? `\nThe same commands under hyperfine (${Math.min(runs, HYPERFINE_RUNS)} runs each, started from a shell whose ` +
        `own start-up hyperfine subtracts; bwrap's filters passed as descriptors 3 and 4):\n\n${hyperfineLines.join('\n')}\n` : '');
    writeFileSync(join(top, 'bench', 'RESULTS-launch.md'), doc);
    console.log('written to bench/RESULTS-launch.md');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  for (const c of ['memory', 'pids', 'cpu', 'unified', '']) try { rmdirSync(join('/sys/fs/cgroup', c, 'skiff-bench')); } catch { /* absent or busy */ }
}
