#!/usr/bin/env node
// skiffd idle with services (issues 11 and 12): the agent's CPU time over S seconds with N idle services
// running under it (auto-refresh armed, the services supervised), and its resident memory then.
// Root only. Usage: node bench/agent-idle.mjs [--idle-s S] [--services N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
if (process.getuid() !== 0) { console.error('bench/agent-idle.mjs: needs root (mounts, namespaces, cgroups)'); process.exit(1); }
const fx = require(join(top, 'test', 'dist', 'src', 'services-fixture.js'));
const dev = require(join(top, 'test', 'dist', 'src', 'device-fixture.js'));
const { SkiffdProcess, until } = require(join(top, 'test', 'dist', 'src', 'skiffd-process.js'));
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const IDLE_S = arg('--idle-s', 60);
const SERVICES = arg('--services', 20);
/** Seconds left alone after the services are up, before counting (start-up work settles). */
const SETTLE_S = 2;

const work = mkdtempSync(join(tmpdir(), 'skiff-bench-agent-idle-'));
const root = join(work, 'root');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const must = (args) => { const r = dev.skiff(root, args); if (r.status !== 0) throw new Error(`skiff ${args.join(' ')}: ${r.stderr}`); };
const cpuTicks = (pid) => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return Number(f[11]) + Number(f[12]); };
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const TICK_S = 1 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());

let agent;
try {
  const apps = {};
  for (let i = 0; i < SERVICES; i++) apps[`idle${i}`] = { script: 'exec sleep 100000', fields: 'daemon: simple' };
  must(['install', '--dangerous', await fx.makeServiceBundle(work, 'bench', '1', apps)]);
  agent = await SkiffdProcess.start(root);
  await until('idle services active', async () => (await fx.listServices(agent, ['bench'])).every((r) => r.current === 'active'), 60_000);
  await sleep(SETTLE_S * 1000);
  const c0 = cpuTicks(agent.pid);
  await sleep(IDLE_S * 1000);
  const cpuS = (cpuTicks(agent.pid) - c0) * TICK_S;
  console.log(`skiffd CPU over ${IDLE_S} s with ${SERVICES} idle services: ${cpuS.toFixed(3)} s (target <= 0.1 s: ${cpuS <= 0.1 ? 'met' : 'NOT met'})`);
  console.log(`skiffd resident memory then: ${(rssKb(agent.pid) / 1024).toFixed(1)} MB`);
  await fx.actOn(agent, 'stop', ['bench']);
} finally {
  await agent?.stop();
  fx.killServicesUnder(root);
  dev.skiff(root, ['remove', 'bench']);
  dev.cleanupRoot(root);
  rmSync(work, { recursive: true, force: true });
}
