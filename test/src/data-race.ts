// The symlink-swap race: a malicious app (test/racer/racer.c, static) built into a
// bundle, run confined, and the checks that root's copy and delete never touched the host outside it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, openSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { architectureOfMachine, packBundle } from '@skiff/bundle';
import { machine } from 'node:os';
import * as native from '@skiff/native';
import { appCgroupDirs, probeCgroups, type AppContext } from '@skiff/confinement';
import { runConfined } from '@skiff/client/dist/src/device/run';

const RACER_SOURCE = join(__dirname, '..', '..', 'racer', 'racer.c');
/** How long a racer may take to build its tree (milliseconds). */
const READY_TIMEOUT_MS = 10_000;

/** Compiles the racer statically and packs it as app `name` at `version`; returns the bundle file. */
export async function makeRacerBundle(work: string, name: string, version: string): Promise<string> {
  const dir = join(work, `${name}-${version}-src`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'meta'), { recursive: true });
  const bin = join(work, 'racer.bin');
  if (!existsSync(bin)) execFileSync('cc', ['-static', '-O1', '-o', bin, RACER_SOURCE]);
  copyFileSync(bin, join(dir, 'bin', 'racer'));
  chmodSync(join(dir, 'bin', 'racer'), 0o755);
  // A compiled binary: pack refuses it in an `all` bundle, so the bundle names the host's architecture.
  const arch = architectureOfMachine(machine());
  writeFileSync(join(dir, 'meta', 'app.yaml'), `name: ${name}\nversion: '${version}'\nsummary: swaps its folders for links to the host\narchitectures: [${arch}]\napps:\n  ${name}:\n    command: bin/racer\n`);
  const out = join(work, `${name}-${version}-out`);
  mkdirSync(out, { recursive: true });
  return (await packBundle(dir, out)).path;
}

/** One entry of the canary as the host sees it. */
interface Seen { type: string; uid: number; gid: number; mode: number; mtimeMs: number; sha256: string }

/**
 * A folder outside the device's data that the racer's links point at: root-owned files 0600 and
 * 0755, a root-owned executable, a subfolder. `check()` throws if anything in it changed or appeared.
 */
export class Canary {
  private readonly before: Map<string, Seen>;

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'sub'), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'secret'), 'root only\n', { mode: 0o600 });
    writeFileSync(join(dir, 'public'), 'readable\n', { mode: 0o755 });
    copyFileSync('/bin/true', join(dir, 'tool'));
    chmodSync(join(dir, 'tool'), 0o755);
    writeFileSync(join(dir, 'sub', 'inner'), 'root inner\n', { mode: 0o600 });
    this.before = Canary.see(dir);
  }

  private static see(dir: string): Map<string, Seen> {
    const seen = new Map<string, Seen>();
    const walk = (rel: string): void => {
      const st = lstatSync(join(dir, rel));
      const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : 'other';
      const sha256 = type === 'file' ? createHash('sha256').update(readFileSync(join(dir, rel))).digest('hex') : '';
      seen.set(rel, { type, uid: st.uid, gid: st.gid, mode: st.mode, mtimeMs: st.mtimeMs, sha256 });
      if (type === 'dir') for (const e of readdirSync(join(dir, rel)).sort()) walk(join(rel, e));
    };
    walk('.');
    return seen;
  }

  /** Throws naming what differs: content, owner, mode, mtime, a missing or a new entry. */
  check(label: string): void {
    const now = Canary.see(this.dir);
    for (const [rel, was] of this.before) {
      const is = now.get(rel);
      if (!is) throw new Error(`${label}: canary ${rel} was deleted`);
      if (JSON.stringify(is) !== JSON.stringify(was)) throw new Error(`${label}: canary ${rel} changed: ${JSON.stringify(was)} -> ${JSON.stringify(is)}`);
    }
    for (const rel of now.keys()) if (!this.before.has(rel)) throw new Error(`${label}: ${rel} was created in the canary`);
  }
}

/** Every setuid/setgid file under dir (lstat walk, links never followed), but for the folders in `except`. */
export function setuidFiles(dir: string, except: string[] = []): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    if (except.includes(path)) return;
    const st = lstatSync(path);
    if (st.isFile() && (st.mode & 0o6000) !== 0) found.push(path);
    if (st.isDirectory()) for (const e of readdirSync(path)) walk(join(path, e));
  };
  walk(dir);
  return found;
}

/** Entries under dir (itself included) not owned by uid:gid. */
export function notOwnedBy(dir: string, uid: number): string[] {
  const wrong: string[] = [];
  const walk = (path: string): void => {
    const st = lstatSync(path);
    if (st.uid !== uid || st.gid !== uid) wrong.push(`${path} (${st.uid}:${st.gid})`);
    if (st.isDirectory()) for (const e of readdirSync(path)) walk(join(path, e));
  };
  walk(dir);
  return wrong;
}

/** A racer running confined as its app; stop() kills its sandbox and waits for it. */
export interface Racer { stop(): Promise<void> }

/** Starts the racer of ctx (real sandbox, its data at /data) and resolves once its tree is built. */
export async function startRacer(ctx: AppContext, canary: string, dataDir: string): Promise<Racer> {
  const abort = new AbortController();
  const ready = join(dataDir, 'ready');
  const devNull = openSync('/dev/null', 'r');
  const done = runConfined(ctx, { app: ctx.name }, { args: [canary], signal: abort.signal, timeoutMs: 300_000, stdio: [devNull, 2, 2] })
    .finally(() => closeSync(devNull));
  let ended = false;
  void done.finally(() => { ended = true; });
  const stop = async (): Promise<void> => { abort.abort(); await done.catch(() => undefined); };
  for (const deadline = Date.now() + READY_TIMEOUT_MS; !existsSync(ready);) {
    if (ended || Date.now() > deadline) {
      await stop();
      throw new Error(`the racer did not build its tree in ${READY_TIMEOUT_MS} ms${ended ? ' (it exited)' : ''}`);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return { stop };
}

/** Thaws every cgroup of app `name` (a failed test may leave one frozen; v1 delivers no SIGKILL to it). */
export function thawApp(name: string): void {
  try {
    for (const dir of appCgroupDirs(probeCgroups(), name)) native.thawCgroup(dir);
  } catch { /* no hierarchy: nothing frozen */ }
}
