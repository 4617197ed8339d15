// A device root in a temporary folder with two real, mounted bundles, for the root-only tests.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '@skiff/bundle';
import * as native from '@skiff/native';
import type { ExitStatus, RunPlanOptions } from '@skiff/native';
import { buildLaunchPlan, type AppContext, type LaunchTarget } from '../src';

export const PROBE_UID = 61001;
export const OTHER_UID = 61002;
const SOURCES = ['probe.c', 'net.c'].map((f) => join(__dirname, '..', '..', 'test', 'probe', f));

/** Why the root-only tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root: real mounts, namespaces and cgroups';
  for (const tool of ['mksquashfs', 'cc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool} on the PATH`;
  }
  try { native.launcherPath(); } catch (e) { return `the native launcher is not available: ${(e as Error).message}`; }
  return null;
}

export const probeManifest: Manifest = {
  name: 'probe', version: '1.0', summary: 'looks around its sandbox',
  apps: { probe: { command: 'bin/probe', plugs: ['network', 'network-bind', 'hardware-observe'] }, sh: { command: 'bin/shell' } },
  hooks: { 'check-health': {} },
  resources: { memory: '48M', pids: 32 },
};
const otherManifest: Manifest = { name: 'other', version: '1.0', summary: 'another app', apps: { other: { command: 'bin/shell' } } };

export interface RunResult { status: ExitStatus; out: string; err: string }

export class Fixture {
  readonly root = mkdtempSync(join(tmpdir(), 'skiff-confined-'));
  private readonly work = mkdtempSync(join(tmpdir(), 'skiff-confined-io-'));
  private readonly mounted: string[] = [];
  private runs = 0;

  /** Builds, packs and mounts both bundles and creates their data folders. */
  setUp(): void {
    const probe = this.bundleDir('probe', { 'bin/shell': '#!/bin/sh\nexec /bin/sh "$@"\n', 'meta/hooks/check-health': '#!/bin/sh\necho healthy $SKIFF_NAME $SKIFF_REVISION\nexit 3\n' });
    const cc = spawnSync('cc', ['-O1', '-o', join(probe, 'bin', 'probe'), ...SOURCES], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc probe.c: ${cc.stderr}`);
    this.install('probe', probe, PROBE_UID, probeManifest);
    this.install('other', this.bundleDir('other', { 'bin/shell': '#!/bin/sh\nexec /bin/sh "$@"\n' }), OTHER_UID, otherManifest);
    writeFileSync(join(this.root, 'var', 'skiff', 'other', '1', 'secret'), 'other app secret\n', { mode: 0o600 });
    chownSync(join(this.root, 'var', 'skiff', 'other', '1', 'secret'), OTHER_UID, OTHER_UID);
    mkdirSync(join(this.root, 'var', 'lib', 'skiff'), { recursive: true, mode: 0o755 });
    writeFileSync(join(this.root, 'var', 'lib', 'skiff', 'state.db'), 'device state\n', { mode: 0o644 });
  }

  private bundleDir(name: string, files: Record<string, string>): string {
    const dir = join(this.work, `${name}-tree`);
    for (const [path, text] of Object.entries({ 'meta/app.yaml': `name: ${name}\nversion: '1.0'\nsummary: test\n`, ...files })) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text, { mode: path.startsWith('meta/app') ? 0o644 : 0o755 });
    }
    return dir;
  }

  private install(name: string, tree: string, uid: number, manifest: Manifest): void {
    const image = join(this.work, `${name}_1.skiff`);
    const sq = spawnSync('mksquashfs', [tree, image, '-noappend', '-comp', 'zstd', '-all-root', '-no-xattrs', '-quiet'], { encoding: 'utf8' });
    if (sq.status !== 0) throw new Error(`mksquashfs: ${sq.stderr}`);
    const target = join(this.root, 'skiff', name, '1');
    mkdirSync(target, { recursive: true });
    native.mountBundle(image, target);
    this.mounted.push(target);
    for (const d of ['1', 'common']) {
      const data = join(this.root, 'var', 'skiff', name, d);
      mkdirSync(data, { recursive: true });
      chownSync(data, uid, uid);
      chmodSync(data, 0o700);
    }
    void manifest;
  }

  ctx(name: 'probe' | 'other', over: Partial<AppContext> = {}): AppContext {
    const manifest = name === 'probe' ? probeManifest : otherManifest;
    const uid = name === 'probe' ? PROBE_UID : OTHER_UID;
    return { root: this.root, name, revision: 1, version: '1.0', manifest, uid, gid: uid, grants: [], devmode: false, ...over };
  }

  /** Runs confined with stdin from /dev/null and stdout/stderr captured to files. */
  async run(ctx: AppContext, target: LaunchTarget, args: string[], opts: RunPlanOptions = {}): Promise<RunResult> {
    const { stdio, out, err, close } = this.stdio();
    try {
      const status = await native.runPlan(buildLaunchPlan(ctx, target, args), { timeoutMs: 30_000, ...opts, stdio });
      return { status, out: readFileSync(out, 'utf8'), err: readFileSync(err, 'utf8') };
    } finally { close(); }
  }

  /** Three descriptors for a run, and the files behind its output. */
  stdio(): { stdio: [number, number, number]; out: string; err: string; close(): void } {
    const n = ++this.runs;
    const out = join(this.work, `out-${n}`);
    const err = join(this.work, `err-${n}`);
    const fds: [number, number, number] = [openSync('/dev/null', 'r'), openSync(out, 'w'), openSync(err, 'w')];
    return { stdio: fds, out, err, close: () => fds.forEach((fd) => closeSync(fd)) };
  }

  tearDown(): void {
    for (const m of this.mounted.reverse()) {
      try { native.unmount(m, { lazy: true }); } catch { /* best effort: keep cleaning */ }
    }
    // A bundle still mounted would make rm fail on a read-only file system: say so, leave it.
    try { rmSync(this.root, { recursive: true, force: true }); } catch (e) { console.error(`left ${this.root}: ${(e as Error).message}`); }
    rmSync(this.work, { recursive: true, force: true });
  }
}

