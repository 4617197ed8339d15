// Refresh through a delta (docs/deltas.md), as root, with a real store on 127.0.0.1 behind a proxy that counts
// the bytes each path sent, and real mounts: the device downloads the delta, rebuilds the exact signed bundle
// and runs it; a corrupted delta, a rebuild that differs, a full disk and a missing source each end on the new
// revision through the full bundle, or cleanly on the old one when the full bundle cannot come either.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DeviceLayout, deltaTargetPath, hashFile, packBundle } from '@skiff/bundle';
import * as native from '@skiff/native';
import { startStore, publishBundle, type RunningStore } from '../src/store';
import { TrustProxy } from '../src/trust-proxy';
import { cleanupRoot, mountsUnder, rootSkipReason, runApp, setupDevice, skiffAsync, withDevice } from '../src/device-fixture';

const APP = 'bigapp';
const BLOB_BYTES = 52 * 1024 * 1024;

describe('device: refresh through a delta', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let proxy: TrustProxy | undefined;
  let work = '';
  const roots: string[] = [];
  const revs: Record<string, { revision: number; sha256: string; size: number }> = {};

  /** Packs the app's tree at `version`: one 52 MB blob shared by every version, a script and a note that change. */
  async function pack(src: string, version: string, extra: Record<string, string>): Promise<string> {
    writeFileSync(join(src, 'meta', 'app.yaml'), `name: ${APP}\nversion: '${version}'\nsummary: A big app\napps:\n  ${APP}:\n    command: bin/hello\n`);
    writeFileSync(join(src, 'bin', 'hello'), `#!/bin/sh\necho "hello ${version}"\n`);
    chmodSync(join(src, 'bin', 'hello'), 0o755);
    for (const [path, body] of Object.entries(extra)) writeFileSync(join(src, path), body);
    return (await packBundle(src, join(work, `out-${version}`))).path;
  }

  /** Waits (with a deadline) until the store's log says the delta from..to is published. */
  async function deltaPublished(from: number, to: number): Promise<void> {
    const deadline = Date.now() + 120_000;
    const line = (l: string) => { try { const j = JSON.parse(l); return j.msg === 'delta published' && j.from === from && j.to === to; } catch { return false; } };
    while (!store!.logs().split('\n').some(line)) {
      if (Date.now() > deadline) assert.fail(`delta ${from}→${to} not published:\n${store!.logs().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-delta-'));
    store = await startStore({ deltaSources: 1 });
    proxy = await TrustProxy.start(store.url);
    const src = join(work, 'src');
    for (const d of ['meta', 'bin', 'lib']) mkdirSync(join(src, d), { recursive: true });
    const fd = openSync(join(src, 'lib', 'blob.bin'), 'w');
    for (let left = BLOB_BYTES; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
    closeSync(fd);
    for (const [version, extra] of [['1.0', { 'lib/notes.txt': 'first\n' }], ['1.1', { 'lib/notes.txt': 'second\n', 'lib/added.txt': 'new file\n' }]] as const) {
      const p = await publishBundle(store, await pack(src, version, extra), { channel: 'stable' });
      revs[version] = { revision: p.revision, sha256: p.sha256, size: p.size };
    }
    await deltaPublished(revs['1.0']!.revision, revs['1.1']!.revision);
  });
  after(async () => {
    for (const r of roots) cleanupRoot(r);
    await proxy?.stop();
    await store?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** A device through the proxy with revision 1.0 installed; the proxy's counts start after it. */
  async function deviceOnFirst(label: string): Promise<string> {
    const root = join(work, `root-${label}`);
    roots.push(root);
    await setupDevice(root, { url: proxy!.url, rootJsonPath: store!.rootJsonPath });
    const r = (await skiffAsync(root, ['install', APP, '--revision', String(revs['1.0']!.revision)]));
    assert.equal(r.status, 0, r.stderr);
    proxy!.clear();
    return root;
  }
  const r1 = () => revs['1.0']!.revision;
  const r2 = () => revs['1.1']!.revision;
  const deltaPrefix = () => `/repo/targets/apps/${APP}/`;
  const bundleBytes = (rev: number) => [...proxy!.bytesSent].filter(([p]) => p.endsWith(`.${rev}.skiff`)).reduce((n, [, b]) => n + b, 0);
  const deltaBytes = () => [...proxy!.bytesSent].filter(([p]) => p.endsWith('.delta')).reduce((n, [, b]) => n + b, 0);
  const lastTasks = (root: string) => withDevice(root, async (ops) => ops.runner.tasks(ops.runner.changes().at(-1)!.id));

  /** Ends on `rev`, its bundle the signed one, the app running; nothing of a rebuild left behind. */
  async function onRevision(root: string, version: string): Promise<void> {
    const want = revs[version]!;
    const list = JSON.parse((await skiffAsync(root, ['list', '--json'])).stdout) as { name: string; revision: number }[];
    assert.equal(list.find((a) => a.name === APP)?.revision, want.revision);
    const paths = new DeviceLayout(root);
    assert.equal((await hashFile(paths.bundleFile(APP, want.revision))).sha256, want.sha256, 'the installed bundle is the signed one');
    const run = await runApp(root, APP);
    assert.equal(run.stdout.trim(), `hello ${version}`);
    assert.deepEqual(readdirSync(paths.bundlesDir).filter((f) => !f.endsWith('.skiff')), [], 'no delta or partial file left');
    assert.deepEqual(existsSync(paths.rebuildDir) ? readdirSync(paths.rebuildDir) : [], [], 'no rebuild work folder left');
    assert.ok(!mountsUnder(root).some((m) => m.startsWith(`${paths.rebuildDir}/`)), 'no overlay left mounted');
  }

  test('a refresh downloads only the delta, rebuilds the signed bundle and runs it; --list shows the delta size', async () => {
    const root = await deviceOnFirst('delta');
    const list = (await skiffAsync(root, ['refresh', '--list']));
    assert.match(list.stdout, new RegExp(`revision ${r1()} → ${r2()}.*download [0-9.]+ [kK]?B \\(delta from revision ${r1()}\\)`));
    const r = (await skiffAsync(root, ['refresh', APP]));
    assert.equal(r.status, 0, r.stderr);
    const delta = deltaBytes();
    assert.ok(delta > 0 && delta < 100_000, `delta bytes ${delta}`);
    assert.equal(bundleBytes(r2()), 0, 'the full bundle was not downloaded');
    const others = [...proxy!.bytesSent].filter(([path]) => path.startsWith(deltaPrefix()) && !path.endsWith('.delta') && !path.endsWith('.channels.json'));
    assert.deepEqual(others, [], 'no other target of the app downloaded');
    await onRevision(root, '1.1');
    const tasks = await lastTasks(root);
    const rebuild = tasks.find((t) => t.kind === 'rebuild')!;
    assert.match(rebuild.log, new RegExp(`rebuilt revision ${r2()} from revision ${r1()} with a delta of ${delta} bytes`));
    const shown = (await skiffAsync(root, ['tasks', String(rebuild.change_id)])).stdout;
    assert.match(shown, /Rebuild bigapp revision/);
  });

  test('a delta download cut midway resumes with Range and still rebuilds', async () => {
    const root = await deviceOnFirst('resume');
    const targets = join(store!.dataDir, 'repo', 'targets', 'apps', APP);
    const file = readdirSync(targets).find((f) => f.endsWith(`.${r2()}.from-${r1()}.delta`))!;
    const path = `/repo/targets/apps/${APP}/${file}`;
    proxy!.on(path, { kind: 'cut', afterBytes: 100 }, 1);
    const r = await skiffAsync(root, ['refresh', APP]);
    assert.equal(r.status, 0, r.stderr);
    const asked = proxy!.requestsFor(path);
    assert.equal(asked.length, 2, 'one cut request, one resumed');
    assert.equal(asked[1]!.headers.range, 'bytes=100-');
    assert.equal(bundleBytes(r2()), 0);
    await onRevision(root, '1.1');
  });

  test('a rebuild that differs (the retained bundle damaged on disk) falls back to the full bundle in the same change, logged once', async () => {
    const root = await deviceOnFirst('differs');
    // One byte flipped inside the blob's blocks, which the delta's image part copies from the old bundle.
    const old = new DeviceLayout(root).bundleFile(APP, r1());
    const at = readFileSync(old).indexOf(readFileSync(join(work, 'src', 'lib', 'blob.bin')).subarray(10 << 20, (10 << 20) + 64));
    assert.ok(at > 0, 'the blob is stored as it is');
    const fd = openSync(old, 'r+');
    writeSync(fd, Buffer.from([readFileSync(old)[at]! ^ 0xff]), 0, 1, at);
    closeSync(fd);
    const r = (await skiffAsync(root, ['refresh', APP]));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(deltaBytes() > 0);
    assert.equal(bundleBytes(r2()), revs['1.1']!.size, 'the full bundle was downloaded once');
    await onRevision(root, '1.1');
    const logs = (await lastTasks(root)).map((t) => t.log).join('');
    assert.equal(logs.match(/delta not used/g)?.length, 1, logs);
    assert.match(logs, /differs from the signed one/);
  });

  test('a disk that fills during the rebuild falls back to the full bundle', async () => {
    const root = await deviceOnFirst('full');
    const paths = new DeviceLayout(root);
    mkdirSync(paths.rebuildDir, { recursive: true });
    // A 64 KiB filesystem for the rebuild's work folder: the overlay's upper fills at the first new file.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'skiff-delta-test', paths.rebuildDir]);
    try {
      writeFileSync(join(paths.rebuildDir, 'filler'), randomBytes(60 * 1024));
      const r = (await skiffAsync(root, ['refresh', APP]));
      assert.equal(r.status, 0, r.stderr);
      assert.equal(bundleBytes(r2()), revs['1.1']!.size);
      const logs = (await lastTasks(root)).map((t) => t.log).join('');
      assert.match(logs, /delta not used \(.*(ENOSPC|No space|space)/i);
      rmSync(join(paths.rebuildDir, 'filler'));
      await onRevision(root, '1.1');
    } finally {
      native.unmount(paths.rebuildDir);
    }
  });

  test('a corrupted delta falls back; with the full bundle failing too, the device stays cleanly on the old revision', async () => {
    const targets = join(store!.dataDir, 'repo', 'targets', 'apps', APP);
    const file = readdirSync(targets).find((f) => f.endsWith(deltaTargetPath(APP, r1(), r2()).split('/').pop()!))!;
    const original = readFileSync(join(targets, file));
    writeFileSync(join(targets, file), randomBytes(original.length));
    try {
      const broken = await deviceOnFirst('corrupt-fail');
      proxy!.on(`/repo/targets/apps/${APP}/${revs['1.1']!.sha256}.${r2()}.skiff`, { kind: 'status', status: 404 });
      const failed = (await skiffAsync(broken, ['refresh', APP]));
      assert.notEqual(failed.status, 0);
      await onRevision(broken, '1.0');
      proxy!.clear();

      const root = await deviceOnFirst('corrupt');
      const r = (await skiffAsync(root, ['refresh', APP]));
      assert.equal(r.status, 0, r.stderr);
      assert.equal(bundleBytes(r2()), revs['1.1']!.size);
      const logs = (await lastTasks(root)).map((t) => t.log).join('');
      assert.match(logs, /delta not used \(.*sha256/);
      await onRevision(root, '1.1');
    } finally {
      writeFileSync(join(targets, file), original);
    }
  });

  test('with no delta from a revision the device has (or deltas turned off), refresh downloads the full bundle', async () => {
    const src = join(work, 'src');
    const p = await publishBundle(store!, await pack(src, '1.2', { 'lib/notes.txt': 'third\n' }), { channel: 'stable' });
    revs['1.2'] = { revision: p.revision, sha256: p.sha256, size: p.size };
    await deltaPublished(r2(), p.revision); // --delta-sources 1: only from 1.1, which this device never had
    const root = await deviceOnFirst('nosource');
    assert.doesNotMatch((await skiffAsync(root, ['refresh', '--list'])).stdout, /delta/);
    assert.equal((await skiffAsync(root, ['refresh', APP])).status, 0);
    assert.equal(bundleBytes(p.revision), p.size);
    assert.equal(deltaBytes(), 0);
    await onRevision(root, '1.2');

    // A device on 1.1, which the 1.1→1.2 delta serves, with deltas turned off.
    const off = join(work, 'root-off');
    roots.push(off);
    await setupDevice(off, { url: proxy!.url, rootJsonPath: store!.rootJsonPath });
    assert.equal((await skiffAsync(off, ['install', APP, '--revision', String(r2())])).status, 0);
    assert.match((await skiffAsync(off, ['refresh', '--list'])).stdout, /delta from revision/);
    assert.equal((await skiffAsync(off, ['config', 'set', 'refresh.deltas', 'false'])).status, 0);
    proxy!.clear();
    assert.doesNotMatch((await skiffAsync(off, ['refresh', '--list'])).stdout, /delta/);
    assert.equal((await skiffAsync(off, ['refresh', APP])).status, 0);
    assert.equal(deltaBytes(), 0);
    assert.equal(bundleBytes(p.revision), p.size);
    await onRevision(off, '1.2');
  });
});
