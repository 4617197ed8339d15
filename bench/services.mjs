#!/usr/bin/env node
// Services (issue 12): from a service's crash to its replacement accepting connections, against its
// restart delay plus two confined starts of the same app (skiff-launch on the same plan); the
// supervisor's CPU time over 60 s with 20 idle services; each service parent's (skiff-shim) resident memory.
// Root only. Usage: node bench/services.mjs [--crashes N] [--idle-s S] [--services N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
if (process.getuid() !== 0) { console.error('bench/services.mjs: needs root (mounts, namespaces, cgroups)'); process.exit(1); }
const fx = require(join(top, 'test', 'dist', 'src', 'services-fixture.js'));
const dev = require(join(top, 'test', 'dist', 'src', 'device-fixture.js'));
const { DeviceLayout } = require(join(top, 'bundle'));
const native = require(join(top, 'native'));
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const CRASHES = arg('--crashes', 5);
const IDLE_S = arg('--idle-s', 60);
const SERVICES = arg('--services', 20);
const RESTART_DELAY_MS = 200;

const work = mkdtempSync(join(tmpdir(), 'skiff-bench-services-'));
const root = join(work, 'root');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const must = (args) => { const r = dev.skiff(root, args); if (r.status !== 0) throw new Error(`skiff ${args.join(' ')}: ${r.stderr}`); };

/** Resolves with the time (ms, monotonic) the first connection to port is accepted. */
async function acceptedAt(port, deadlineMs = 30_000) {
  for (const end = performance.now() + deadlineMs; performance.now() < end;) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return performance.now();
    await sleep(2);
  }
  throw new Error(`nothing accepts on ${port}`);
}

const cpuTicks = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' '); return Number(f[11]) + Number(f[12]); };
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const TICK_S = 1 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());

let host;
try {
  const port = await fx.freePort();
  const apps = { web: { script: fx.httpServer(port, 'up'), fields: `daemon: simple\n    restart-delay: ${RESTART_DELAY_MS}ms` } };
  for (let i = 0; i < SERVICES; i++) apps[`idle${i}`] = { script: 'exec sleep 100000', fields: 'daemon: simple' };
  must(['install', '--dangerous', await fx.makeServiceBundle(work, 'bench', '1', apps)]);
  must(['connect', 'bench:network-bind']);
  // No start limit here: every crash is one more start.
  host = await fx.ServicesHost.start(root, { settleMs: 500, startLimit: 1000 });
  const layout = new DeviceLayout(root);
  const status = (app) => native.readShimStatus(layout.serviceRunDir('bench', app));
  await host.call('act', 'restart', ['bench.web']);
  await acceptedAt(port);

  // 1. Crash to replacement: SIGKILL the service, time until a new one accepts.
  const crash = [];
  for (let i = 0; i < CRASHES; i++) {
    const before = status('web').appPid;
    const t0 = performance.now();
    process.kill(before, 'SIGKILL');
    await host.until('a new service', () => status('web')?.state === 'running' && status('web').appPid !== before, 30_000);
    crash.push((await acceptedAt(port)) - t0);
  }
  // The baseline: the same plan started by skiff-launch, until it accepts.
  await host.call('act', 'stop', ['bench.web']);
  const plan = join(layout.serviceRunDir('bench', 'web'), 'plan.json');
  const starts = [];
  for (let i = 0; i < CRASHES; i++) {
    const t0 = performance.now();
    const child = spawn(native.launcherPath(), [plan], { stdio: 'ignore' });
    starts.push((await acceptedAt(port)) - t0);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }

  // 2. The supervisor's CPU time with SERVICES idle services (the web one stopped).
  await host.until('idle services up', () => Array.from({ length: SERVICES }, (_, i) => status(`idle${i}`)?.state === 'running').every(Boolean), 60_000);
  await sleep(2000);
  const c0 = cpuTicks(host.child.pid);
  await sleep(IDLE_S * 1000);
  const cpuS = (cpuTicks(host.child.pid) - c0) * TICK_S;

  // 3. Each shim's resident memory.
  const rss = Array.from({ length: SERVICES }, (_, i) => rssKb(status(`idle${i}`).shimPid));

  // Crash i waits its own restart delay (it doubles: 200, 400, 800 ms...); the rest is the supervisor's and the start's.
  const beyond = crash.map((ms, i) => ms - RESTART_DELAY_MS * 2 ** i);
  const startMs = median(starts);
  console.log(`crash -> replacement accepting (ms): ${crash.map((x) => x.toFixed(0)).join(', ')} (restart delays ${crash.map((_, i) => RESTART_DELAY_MS * 2 ** i).join(', ')})`);
  console.log(`  beyond the restart delay: median ${median(beyond).toFixed(0)} ms, max ${Math.max(...beyond).toFixed(0)} ms`);
  console.log(`confined start of the same app (skiff-launch, same plan) until accepting: median ${startMs.toFixed(0)} ms`);
  console.log(`target: crash -> accepting <= restart delay + 2 x start (${(2 * startMs).toFixed(0)} ms): ${Math.max(...beyond) <= 2 * startMs ? 'met' : 'NOT met'}`);
  console.log(`supervisor CPU over ${IDLE_S} s with ${SERVICES} idle services: ${cpuS.toFixed(3)} s (target <= 0.1 s: ${cpuS <= 0.1 ? 'met' : 'NOT met'})`);
  console.log(`skiff-shim resident memory: median ${median(rss)} kB, max ${Math.max(...rss)} kB (target <= 2048 kB: ${Math.max(...rss) <= 2048 ? 'met' : 'NOT met'})`);
  await host.call('act', 'stop', ['bench']);
} finally {
  await host?.kill().catch(() => undefined);
  fx.killServicesUnder(root);
  dev.skiff(root, ['remove', 'bench']);
  dev.cleanupRoot(root);
}
