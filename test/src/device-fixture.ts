// End-to-end helpers for device tests: bundles built on the fly, the real CLI, and checks of the
// device as the kernel and the disk see it (mount table, files, state.db).
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { DeviceLayout, packBundle, type HookName } from '@skiff/bundle';
import { startStore, type RunningStore } from './store';
import * as native from '@skiff/native';
import { runConfined } from '@skiff/client/dist/src/device/run';
import { openDevice } from '@skiff/client/dist/src/device';
import { DeviceOps } from '@skiff/client/dist/src/device/ops';

export const SKIFF = join(__dirname, '..', '..', '..', 'client', 'bin', 'skiff');
export const SKIFFD = join(__dirname, '..', '..', '..', 'client', 'bin', 'skiffd');

/**
 * How the device e2e suites reach the device: `SKIFF_TEST_TRANSPORT=agent` runs a real skiffd per set-up
 * world (the CLI goes through its socket); anything else runs the verbs in-process. Same assertions.
 */
export const TRANSPORT: 'agent' | 'in-process' = process.env.SKIFF_TEST_TRANSPORT === 'agent' ? 'agent' : 'in-process';

/** Milliseconds to wait for skiffd to listen, or to exit after SIGTERM. */
export const AGENT_WAIT_MS = 30_000;

const sleepSync = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

/** Alive and not a zombie (a child this process has not reaped yet, while a sync wait blocks its loop). */
export function processRunning(pid: number): boolean {
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

interface AgentProcess { pid: number; log: string }
const agents = new Map<string, AgentProcess>();

/**
 * Starts a real skiffd for root and waits (without the event loop: callers may be sync) until its socket
 * exists. Its JSON log goes to a file beside the root (a pipe nobody reads would block it).
 */
export function startAgentSync(root: string, env: Record<string, string> = {}, skiffd = SKIFFD): AgentProcess {
  const log = `${root}.skiffd.log`;
  const fd = openSync(log, 'a');
  // An installed skiffd is a shell shim that execs node; this checkout's is a node script.
  const [command, args] = skiffd === SKIFFD ? [process.execPath, [SKIFFD, '--root', root]] : [skiffd, ['--root', root]];
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  child.unref();
  // Its own "listening" line: a socket and pid file left by a killed agent would say so too early.
  const listening = `"pid":${child.pid},"socket":`;
  const deadline = Date.now() + AGENT_WAIT_MS;
  while (!readFileSync(log, 'utf8').includes(listening)) {
    if (!processRunning(child.pid!) || Date.now() > deadline) throw new Error(`skiffd for ${root} did not start: ${readFileSync(log, 'utf8')}`);
    sleepSync(20);
  }
  const agent = { pid: child.pid!, log };
  agents.set(root, agent);
  return agent;
}

/** SIGTERM (or another signal) to root's skiffd, and waits until it is gone. */
export function stopAgentSync(root: string, signal: NodeJS.Signals = 'SIGTERM'): void {
  const agent = agents.get(root);
  if (!agent) return;
  agents.delete(root);
  try { process.kill(agent.pid, signal); } catch { return; }
  const deadline = Date.now() + AGENT_WAIT_MS;
  while (processRunning(agent.pid) && Date.now() < deadline) sleepSync(20);
}

/** The skiffd this process started for root, if any. */
export function agentOf(root: string): AgentProcess | undefined { return agents.get(root); }

/** Why root-only tests skip, or false when they can run. */
export function rootSkipReason(): string | false {
  return process.getuid?.() === 0 ? false : 'needs root: real loop mounts and namespaces';
}

export interface CliResult { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the real `skiff` CLI against a device root. */
export function skiff(root: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): CliResult {
  // A crash point kills the process that runs the change: with an agent that is skiffd, not the CLI. So the
  // command runs in-process, skiffd stopped around it; the restarted skiffd recovers at start.
  if (env.SKIFF_TEST_CRASH_AT && agentOf(root)) {
    stopAgentSync(root);
    try { return skiff(root, args, env, timeoutMs); } finally { startAgentSync(root); }
  }
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [SKIFF, '--root', root, ...args], {
    encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: root, ...env }, timeout: timeoutMs,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs skiff and parses its JSON output; throws with stderr when it fails. */
export function skiffJson<T>(root: string, args: string[], env: Record<string, string> = {}): T {
  const r = skiff(root, [...args, '--json'], env);
  if (r.status !== 0) throw new Error(`skiff ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

export interface BundleSpec {
  name: string; version: string;
  /** Exit status of meta/hooks/check-health (absent: no hook). */
  checkHealth?: number;
  /** Bytes of random (incompressible) data in data/blob.bin. */
  randomBytes?: number;
  /** Body of meta/hooks/pre-refresh, a sh script (absent: no hook). */
  preRefresh?: string;
  /** Other hooks: the whole file of each, with its #! line. */
  hooks?: Partial<Record<HookName, string>>;
  /** Body of bin/hello, a sh script (absent: it prints "hello <version>"). */
  script?: string;
  /** `architectures:` of the manifest (absent: all). */
  architectures?: string[];
  /** More files (native ones, say), by path in the bundle; written executable. */
  files?: Record<string, Buffer>;
}

/** Packs a small app: `bin/hello` prints "hello <version>"; optional check-health and pre-refresh hooks and random payload. */
export async function makeBundle(work: string, spec: BundleSpec): Promise<string> {
  const dir = join(work, `${spec.name}-${spec.version}-src`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'meta', 'hooks'), { recursive: true });
  const hookScripts: Record<string, string> = {
    ...(spec.checkHealth === undefined ? {} : { 'check-health': `#!/bin/sh\nexit ${spec.checkHealth}\n` }),
    ...(spec.preRefresh === undefined ? {} : { 'pre-refresh': `#!/bin/sh\n${spec.preRefresh}\n` }),
    ...spec.hooks,
  };
  const hooks = Object.keys(hookScripts).length ? `hooks:\n${Object.keys(hookScripts).map((h) => `  ${h}: {}\n`).join('')}` : '';
  writeFileSync(join(dir, 'meta', 'app.yaml'), `name: ${spec.name}\nversion: '${spec.version}'\nsummary: Test app ${spec.name}\n` +
    `apps:\n  ${spec.name}:\n    command: bin/hello\n    plugs: [network]\n${hooks}` +
    (spec.architectures ? `architectures: [${spec.architectures.join(', ')}]\n` : ''));
  for (const [path, body] of Object.entries(spec.files ?? {})) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), body, { mode: 0o755 });
  }
  writeFileSync(join(dir, 'bin', 'hello'), `#!/bin/sh\n${spec.script ?? `echo "hello ${spec.version}"`}\n`);
  chmodSync(join(dir, 'bin', 'hello'), 0o755);
  for (const [hook, body] of Object.entries(hookScripts)) {
    writeFileSync(join(dir, 'meta', 'hooks', hook), body);
    chmodSync(join(dir, 'meta', 'hooks', hook), 0o755);
  }
  if (spec.randomBytes) {
    mkdirSync(join(dir, 'data'));
    const fd = openSync(join(dir, 'data', 'blob.bin'), 'w');
    for (let left = spec.randomBytes; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
    closeSync(fd);
  }
  const out = join(work, `${spec.name}-${spec.version}-out`);
  mkdirSync(out, { recursive: true });
  return (await packBundle(dir, out)).path;
}

/** Mount points at or under root, deepest first, from /proc/self/mountinfo. */
export function mountsUnder(root: string): string[] {
  return native.parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).map((m) => m.mountPoint)
    .filter((m) => m === root || m.startsWith(root + '/'))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything under root and deletes it; for after() hooks, even when a test failed. */
export function cleanupRoot(root: string): void {
  for (const m of mountsUnder(root)) {
    try { native.unmount(m); } catch { try { native.unmount(m, { lazy: true }); } catch { /* already gone */ } }
  }
  rmSync(root, { recursive: true, force: true });
}

/** Mounts of an app installed with one revision: its bundle and its data volume. */
export const MOUNTS_PER_APP = 2;

/** Loop devices backed by file, deleted or not (the kernel shows "<path> (deleted)"). */
export function loopsBacking(file: string): string[] {
  return readdirSync('/sys/block').filter((d) => d.startsWith('loop')).filter((d) => {
    try {
      const backing = readFileSync(join('/sys/block', d, 'loop/backing_file'), 'utf8').trim();
      return backing === file || backing === `${file} (deleted)`;
    } catch { return false; }
  });
}

/** Waits (up to 5 s) until no loop device is backed by file: autoclear detaches as the last user lets go. */
export async function loopsGone(file: string): Promise<string[]> {
  for (let i = 0; i < 250 && loopsBacking(file).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return loopsBacking(file);
}

const ls = (dir: string): string[] => existsSync(dir) ? readdirSync(dir).sort() : [];

/** What the device looks like for one app, read from the kernel and the disk (not from skiff). */
export interface DeviceView {
  current: number | null;
  mounted: number[];
  bundles: string[];
  appDir: string[];
  dataDir: string[];
  strays: string[];
}

export function viewDevice(root: string, name: string): DeviceView {
  const layout = new DeviceLayout(root);
  const appDir = layout.appDir(name);
  let current: number | null = null;
  try { current = Number(readlinkSync(join(appDir, 'current'))); } catch { /* no current */ }
  const mounted = mountsUnder(root).filter((m) => m.startsWith(appDir + '/')).map((m) => Number(m.slice(appDir.length + 1))).sort((a, b) => a - b);
  const bundlesDir = layout.bundlesDir;
  const bundles = ls(bundlesDir).filter((f) => f.startsWith(`${name}_`));
  // lost+found: made by mkfs at the top of the app's data volume, for e2fsck.
  const dataDir = ls(layout.appDataDir(name)).filter((f) => f !== 'lost+found');
  const strays = [
    ...ls(bundlesDir).filter((f) => !f.endsWith('.skiff')).map((f) => join(bundlesDir, f)),
    ...ls(appDir).filter((f) => f !== 'current' && !/^\d+$/.test(f)).map((f) => join(appDir, f)),
    ...dataDir.filter((f) => f !== 'common' && !/^\d+$/.test(f)).map((f) => join(layout.appDataDir(name), f)),
    ...ls(layout.snapshotsDir).filter((f) => f.endsWith('.new')),
  ];
  return { current, mounted, bundles, appDir: ls(appDir), dataDir, strays };
}

/** The view a device must show when `current` is current and exactly `retained` revisions are kept. */
export function expectedView(name: string, current: number | null, retained: number[]): DeviceView {
  const revs = [...retained].sort((a, b) => a - b);
  if (current === null) return { current: null, mounted: [], bundles: [], appDir: [], dataDir: [], strays: [] };
  return {
    current, mounted: revs,
    bundles: revs.map((r) => `${name}_${r}.skiff`).sort(),
    appDir: [...revs.map(String), 'current'].sort(),
    dataDir: ['common', ...revs.map(String)].sort(),
    strays: [],
  };
}

/** PRAGMA integrity_check of the device's state.db, and the number of unfinished changes. */
export function checkStateDb(root: string): { integrity: string; unfinished: number } {
  const db = new Database(new DeviceLayout(root).stateDb, { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      unfinished: (db.prepare("SELECT COUNT(*) AS n FROM changes WHERE status IN ('doing', 'undoing')").get() as { n: number }).n,
    };
  } finally { db.close(); }
}

export interface ListedApp { name: string; revision: number; version: string; channel: string; dangerous: boolean; devmode: boolean; current: boolean }

export interface AppState { current: number | null; retained: number[] }

/** Runs fn with the device verbs as a library, in this process (no CLI start-up cost). */
export async function withDevice<T>(root: string, fn: (ops: DeviceOps) => Promise<T>): Promise<T> {
  const device = openDevice(root);
  try { return await fn(new DeviceOps(device, { progress: false })); } finally { device.close(); }
}

/** `skiff setup` through the library. */
export async function setupDevice(root: string, store: { url: string; rootJsonPath: string }): Promise<void> {
  await withDevice(root, (ops) => ops.setup(store.url, store.rootJsonPath));
}

/** Runs the current revision of an app confined, as `skiff run` does, and returns what it printed. */
export async function runApp(root: string, name: string): Promise<{ code: number | null; stdout: string }> {
  const out = join(root, '..', `run-${process.pid}.out`);
  const fd = openSync(out, 'w');
  try {
    const device = openDevice(root);
    let ctx;
    try { ctx = device.appContext(name); } finally { device.close(); }
    const status = await runConfined(ctx, { app: name }, { stdio: [0, fd, 2], timeoutMs: 30_000 });
    return { code: status.code, stdout: readFileSync(out, 'utf8') };
  } finally { closeSync(fd); rmSync(out, { force: true }); }
}

/**
 * The checks after a crash: the device is exactly one of `states` (mount table, files, link),
 * state.db is intact with no unfinished change, `list` agrees, and the current revision runs.
 * Runs `skiff list` first: the next command, which recovers.
 */
export async function checkOldOrNew(root: string, name: string, label: string, states: AppState[], versions: Map<number, string>): Promise<AppState> {
  const listed = skiffJson<{ revision: number }[]>(root, ['list']).map((a) => a.revision);
  const view = viewDevice(root, name);
  const match = states.find((s) => JSON.stringify(expectedView(name, s.current, s.retained)) === JSON.stringify(view));
  if (!match) throw new Error(`${label}: device is neither the old nor the new state: ${JSON.stringify(view)}`);
  const db = checkStateDb(root);
  if (db.integrity !== 'ok' || db.unfinished !== 0) throw new Error(`${label}: state.db ${JSON.stringify(db)}`);
  if (JSON.stringify(listed) !== JSON.stringify(match.current === null ? [] : [match.current])) {
    throw new Error(`${label}: list shows ${JSON.stringify(listed)}, the disk ${JSON.stringify(match)}`);
  }
  if (match.current !== null) {
    const run = await runApp(root, name);
    const want = `hello ${versions.get(match.current)}`;
    if (run.code !== 0 || !run.stdout.includes(want)) throw new Error(`${label}: run ${run.code}: ${run.stdout} (want "${want}")`);
  }
  return match;
}

/** `skiff` without blocking this process's event loop: needed when this process serves the store or a proxy. */
export function skiffAsync(root: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SKIFF, '--root', root, ...args], { env: { ...process.env, SKIFF_ROOT: root, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** A real store on 127.0.0.1 and a device root in a fresh temporary folder, for one test file. */
export interface DeviceWorld { store: RunningStore; work: string; root: string }

export async function openDeviceWorld(name: string): Promise<DeviceWorld> {
  const work = mkdtempSync(join(tmpdir(), `skiff-${name}-`));
  return { work, root: join(work, 'root'), store: await startStore() };
}

/** openDeviceWorld, then `skiff setup` of its device for its store (through the CLI, as a person would). */
export async function openSetUpWorld(name: string): Promise<DeviceWorld> {
  const world = await openDeviceWorld(name);
  const r = skiff(world.root, ['setup', '--store', world.store.url, '--trust', world.store.rootJsonPath]);
  if (r.status !== 0) throw new Error(`skiff setup failed (${r.status ?? r.signal}): ${r.stderr}`);
  if (TRANSPORT === 'agent') startAgentSync(world.root);
  return world;
}

/** Unmounts what the device left, stops the store and removes the folder; safe on a half-opened world. */
export async function closeDeviceWorld(world: Partial<DeviceWorld>): Promise<void> {
  if (world.root) stopAgentSync(world.root);
  if (world.root) cleanupRoot(world.root);
  await world.store?.stop();
  if (world.work) rmSync(world.work, { recursive: true, force: true });
}
