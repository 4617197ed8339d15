#!/usr/bin/env node
// skiffd against its baselines (needs root: it mounts bundles):
//   `skiff list --json` through the agent vs `node -e 0` (target: within 60 ms of it);
//   `skiff install` of a MB bundle through the agent vs the install floor of bench/floor.mjs (target ≤ 1.0x);
//   the agent's resident memory idle, after 100 and after 1,000 API calls (target ≤ 80 MB, no growth after the first 100).
// Usage: node bench/agent.mjs [--runs N] [--mb M] [--write]   (--write puts the details in bench/RESULTS-agent.md)
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installFloor, run } from './floor.mjs';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(top, 'test', 'package.json'));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, mb: { type: 'string', default: '100' }, write: { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);
const MB = Number(values.mb);
/** `skiff list` runs per round: the list figures are small, so more samples. */
const LIST_RUNS = RUNS * 5;
if (process.getuid?.() !== 0) { console.error('bench/agent.mjs needs root: skiffd mounts bundles'); process.exit(1); }

const { TrustWorld } = require(join(top, 'test/dist/src/trust-fixture.js'));
const { cleanupRoot } = require(join(top, 'test/dist/src/device-fixture.js'));
const skiffBin = join(top, 'client/bin/skiff');
const skiffdBin = join(top, 'client/bin/skiffd');

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const now = () => Number(process.hrtime.bigint()) / 1e6;
const timed = (fn) => { const t0 = now(); fn(); return now() - t0; };
const rssMB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

function api(socketPath, path) {
  return new Promise((resolve, reject) => {
    request({ socketPath, path }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject).end();
  });
}

const world = await TrustWorld.start();
const work = mkdtempSync(join(tmpdir(), 'skiff-bench-agent-'));
const root = join(work, 'root');
let agent;
try {
  process.stderr.write(`packing and publishing a ${MB} MB bundle...\n`);
  const v1 = await world.publish('benchapp', MB * 1024 * 1024, '1.0');
  const url = `${world.store.url}/repo/targets/apps/benchapp/${v1.sha256}.${v1.revision}.skiff`;
  const skiff = (args) => run(process.execPath, [skiffBin, '--root', root, ...args]);
  skiff(['setup', '--store', world.store.url, '--trust', world.store.rootJsonPath]);

  // The executable itself: its #! line carries the flags skiffd runs with (as the installed shim does).
  agent = spawn(skiffdBin, ['--root', root], { stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  agent.stdout.setEncoding('utf8').on('data', (d) => { log += d; });
  while (!log.includes('skiffd listening')) {
    if (agent.exitCode !== null) throw new Error(`skiffd exited: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const socket = join(root, 'run/skiff/skiffd.sock');
  const idle = rssMB(agent.pid);

  // Memory: 1,000 API calls of the kinds a client makes (list, system, changes, the OpenAPI document, connections).
  const paths = ['/v1/apps', '/v1/system', '/v1/changes', '/v1/openapi.json', '/v1/connections'];
  const rss = { idle, after100: 0, after1000: 0, afterInstalls: 0 };
  for (let i = 1; i <= 1000; i++) {
    const status = await api(socket, paths[i % paths.length]);
    if (status !== 200) throw new Error(`GET ${paths[i % paths.length]} answered ${status}`);
    if (i === 100) rss.after100 = rssMB(agent.pid);
  }
  rss.after1000 = rssMB(agent.pid);
  // Install through the agent, paired with the floor run just before it (cancels the shared box's drift).
  const floorSteps = [];
  const floors = [];
  const installs = [];
  installFloor(url, v1.sha256, work, floorSteps); skiff(['install', 'benchapp']); skiff(['remove', 'benchapp', '--purge']); // warm-up
  for (let i = 0; i < RUNS; i++) {
    floors.push(installFloor(url, v1.sha256, work, floorSteps));
    installs.push(timed(() => skiff(['install', 'benchapp'])));
    skiff(['remove', 'benchapp', '--purge']);
  }
  rss.afterInstalls = rssMB(agent.pid);
  skiff(['install', 'benchapp']); // an app to list

  // `skiff list --json` through the agent against `node -e 0`, alternating.
  // With `skiff --version` (the CLI's own start, no device) and the API call alone: where the gap goes.
  const lists = [];
  const nodes = [];
  const versions = [];
  for (let i = 0; i < LIST_RUNS; i++) {
    nodes.push(timed(() => run(process.execPath, ['-e', '0'])));
    lists.push(timed(() => skiff(['list', '--json'])));
    versions.push(timed(() => run(process.execPath, [skiffBin, '--version'])));
  }
  const calls = [];
  for (let i = 0; i < 100; i++) { const t0 = now(); await api(socket, '/v1/apps'); calls.push(now() - t0); }
  // For context: the CLI's start with all its modules and no device.
  const inProcess = median(Array.from({ length: RUNS }, () => timed(() => run(process.execPath, [skiffBin, '--help']))));

  skiff(['remove', 'benchapp', '--purge']);

  const paired = median(installs.map((x, i) => x / floors[i]));
  const listGap = median(lists.map((x, i) => x - nodes[i]));
  const stepLine = Object.keys(floorSteps[0]).map((k) => `${k} ${median(floorSteps.map((r) => r[k])).toFixed(0)}`).join(', ');
  const lines = [
    `skiff list --json through skiffd: ${median(lists).toFixed(0)} ms; node -e 0: ${median(nodes).toFixed(0)} ms; median paired gap ${listGap.toFixed(0)} ms (target <= 60 ms), ${LIST_RUNS} runs; `
      + `of which the CLI's start (skiff --version) ${median(versions.map((x, i) => x - nodes[i])).toFixed(0)} ms and GET /v1/apps itself ${median(calls).toFixed(1)} ms`,
    `skiff install ${MB} MB through skiffd: ${median(installs).toFixed(0)} ms; floor ${median(floors).toFixed(0)} ms; paired ratio ${paired.toFixed(2)}x (target <= 1.0x), ${RUNS} runs`,
    `skiffd RSS: idle ${rss.idle.toFixed(1)} MB, after 100 calls ${rss.after100.toFixed(1)} MB, after 1,000 calls ${rss.after1000.toFixed(1)} MB (target <= 80 MB, no growth after 100); after the ${RUNS + 1} installs of ${MB} MB ${rss.afterInstalls.toFixed(1)} MB`,
  ];
  for (const l of lines) console.log(l);
  if (values.write) {
    const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
    writeFileSync(join(top, 'bench', 'RESULTS-agent.md'), `# skiffd benchmark (bench/agent.mjs)

Run: \`node bench/agent.mjs --runs ${RUNS} --mb ${MB} --write\` as root, ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${cpu}, ${cpus().length} CPUs (shared with other work).

One device root served by a real \`skiffd\`; \`skiff\` (the CLI) goes through its socket. The store is the real \`skiff-store serve\` on loopback.

${lines.map((l) => `- ${l}`).join('\n')}

Install: each run times the floor (${stepLine}: medians, ms) and then \`skiff install\` through the agent on the same device root
(the agent's TUF metadata is warm after the first run, as on a device whose agent runs for days; the app is removed with --purge between runs).
\`skiff --help\` (the CLI's start with its modules, no device) for context: ${inProcess.toFixed(0)} ms.

Per run (ms): install ${installs.map((x) => x.toFixed(0)).join(', ')}; floor ${floors.map((x) => x.toFixed(0)).join(', ')}.
`);
  }
} finally {
  if (agent && agent.exitCode === null) { agent.kill('SIGTERM'); await new Promise((r) => agent.once('exit', r)); }
  cleanupRoot(root);
  rmSync(work, { recursive: true, force: true });
  await world.close();
}
