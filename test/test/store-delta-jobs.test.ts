// Delta jobs survive the store (docs/deltas.md, "The store"): a real `skiff-store serve` on 127.0.0.1 is
// killed with jobs queued and one running, started again, and the deltas get published; a job whose target
// left the channels meanwhile is dropped; a job failing on every attempt is dropped after the set number.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { packBundle } from '@skiff/bundle';
import { openStore } from '@skiff/store-server';
import { publishBundle, releaseRevision, startStore, type RunningStore } from '../src/store';

/** Random bytes changed whole between revisions of `slow`: a delta that takes seconds at zstd -19 (and is too big to publish). */
const SLOW_CHANGE_BYTES = 6 * 1024 * 1024;
const WAIT_MS = 120_000;

describe('store: delta jobs across a restart', () => {
  let work = '';
  let dataDir = '';
  let store: RunningStore | undefined;
  let token = '';

  /** Polls `condition` until it holds, failing with `what` (and the store's last words) after the deadline. */
  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!condition()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}:\n${store?.logs().slice(-3000) ?? ''}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const logged = (msg: string, from: number, to: number): number => (store?.logs() ?? '').split('\n').filter((l) => {
    try { const j = JSON.parse(l); return j.msg === msg && j.from === from && j.to === to; } catch { return false; }
  }).length;
  const deltaFile = (name: string, from: number, to: number) => {
    const dir = join(dataDir, 'repo', 'targets', 'apps', name);
    return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(`.${to}.from-${from}.delta`));
  };
  /** Delta workers of this store: the job they were given names its data folder. */
  const workers = (): number[] => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8'); return cmd.includes('worker.js') && cmd.includes(dataDir); } catch { return false; }
  }).map(Number);

  const serve = async (serveArgs: string[] = []) => {
    // A test that failed half-way may have left its store running on the folder.
    if (store && store.child.exitCode === null && store.child.signalCode === null) await killStore();
    store = await startStore({ dataDir, token, deltaSources: 1, serveArgs });
  };
  /** SIGKILLs the store; its worker, frozen with SIGSTOP so the kill lands mid-job, is let go and must die with it. */
  async function killStore(): Promise<void> {
    store!.child.kill('SIGKILL');
    await new Promise((r) => store!.child.once('exit', r));
    for (const pid of workers()) try { process.kill(-pid, 'SIGCONT'); } catch { /* gone */ }
    await until(() => workers().length === 0, 'the delta worker to die with the store');
  }
  /** Stops the store (SIGTERM) and reads the job table and the signed delta targets. */
  async function stopAndRead(): Promise<{ jobs: { name: string; source: number; target: number; attempts: number }[] }> {
    await store!.stop();
    const ctx = openStore(dataDir);
    try {
      return { jobs: ctx.db.prepare('SELECT a.name, j.source, j.target, j.attempts FROM delta_jobs j JOIN apps a ON a.id = j.app_id ORDER BY j.id').all() as never };
    } finally { ctx.close(); }
  }
  /** Waits for this store's worker to start, then freezes its process group (worker, unsquashfs, zstd). */
  async function freezeWorker(): Promise<void> {
    await until(() => workers().length > 0, 'a delta worker');
    process.kill(-workers()[0]!, 'SIGSTOP');
  }

  const versions: Record<string, number> = {};
  const blobs: Record<string, string> = {};
  /** Packs and uploads app `name` at `version` (released to stable); returns the revision. */
  async function put(name: 'hello' | 'slow', version: string): Promise<number> {
    const src = join(work, `src-${name}`);
    if (!existsSync(src)) {
      for (const d of ['meta', 'bin', 'lib']) mkdirSync(join(src, d), { recursive: true });
      writeFileSync(join(src, 'lib', 'shared.bin'), randomBytes(2 * 1024 * 1024));
    }
    writeFileSync(join(src, 'meta', 'app.yaml'), `name: ${name}\nversion: '${version}'\nsummary: s\napps:\n  ${name}:\n    command: bin/run\n`);
    writeFileSync(join(src, 'bin', 'run'), `#!/bin/sh\necho "${name} ${version}"\n`);
    chmodSync(join(src, 'bin', 'run'), 0o755);
    if (name === 'slow') writeFileSync(join(src, 'lib', 'changed.bin'), randomBytes(SLOW_CHANGE_BYTES));
    const path = (await packBundle(src, join(work, `out-${name}-${version}`))).path;
    const p = await publishBundle(store!, path, { channel: 'stable' });
    versions[`${name} ${version}`] = p.revision;
    blobs[`${name} ${version}`] = p.sha256;
    return p.revision;
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-delta-jobs-'));
    dataDir = join(work, 'data');
    store = await startStore({ dataDir, deltaSources: 1 });
    token = store.token;
    await put('slow', '1');
    await put('hello', '1');
  });
  after(async () => {
    if (store && store.child.exitCode === null && store.child.signalCode === null) store.child.kill('SIGKILL');
    for (const pid of workers()) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(work, { recursive: true, force: true });
  });

  test('a job running and one queued when the store is killed run at the next start: the delta is published', async () => {
    const slow2 = await put('slow', '2');
    await freezeWorker();
    const hello2 = await put('hello', '2');
    await killStore();
    const slow1 = versions['slow 1']!;
    const hello1 = versions['hello 1']!;
    assert.equal(deltaFile('hello', hello1, hello2), false, 'nothing published before the restart');

    await serve();
    await until(() => logged('delta published', hello1, hello2) === 1 && deltaFile('hello', hello1, hello2), `delta hello ${hello1}→${hello2} published`);
    // The job the store died in is run again too (its delta is too big beside its bundle to publish).
    await until(() => logged('delta not published: not small enough beside the full bundle', slow1, slow2) === 1, `job slow ${slow1}→${slow2} run again`);
    assert.deepEqual((await stopAndRead()).jobs, [], 'every job done and deleted');
  });

  test('a job whose target revision left the channels while the store was down is dropped', async () => {
    await serve();
    const slow3 = await put('slow', '3');
    await freezeWorker();
    const hello2 = versions['hello 2']!;
    const hello3 = await put('hello', '3');
    await releaseRevision(store!, 'hello', hello2, 'stable');
    await killStore();

    await serve();
    await until(() => logged('delta job dropped: its target revision left the channels', hello2, hello3) === 1, `job hello ${hello2}→${hello3} dropped`);
    await until(() => logged('delta not published: not small enough beside the full bundle', versions['slow 2']!, slow3) === 1, 'the slow job run again');
    assert.equal(deltaFile('hello', hello2, hello3), false, 'no delta to a revision in no channel');
    assert.deepEqual((await stopAndRead()).jobs, []);
  });

  test('a job failing on every attempt is dropped after the set number of attempts, logged once', async () => {
    await serve(['--delta-attempts', '2']);
    const hello2 = versions['hello 2']!;
    // The source's blob damaged on disk: unsquashfs in the worker fails at every attempt.
    const blob = join(dataDir, 'blobs', blobs['hello 2']!);
    writeFileSync(blob, randomBytes(readFileSync(blob).length));
    const hello4 = await put('hello', '4');
    await until(() => logged('delta job dropped: every attempt failed', hello2, hello4) === 1, `job hello ${hello2}→${hello4} dropped`);
    assert.equal(logged('delta not made', hello2, hello4), 2, 'one warning per attempt');
    assert.equal(deltaFile('hello', hello2, hello4), false);
    assert.deepEqual((await stopAndRead()).jobs, []);
  });

  test('a clean stop during a job kills its worker and does not count the attempt: the job waits for the next start', async () => {
    await serve();
    const slow4 = await put('slow', '4');
    await freezeWorker();
    const { jobs } = await stopAndRead();
    assert.equal(workers().length, 0, 'no worker left by the stop');
    assert.deepEqual(jobs, [{ name: 'slow', source: versions['slow 3']!, target: slow4, attempts: 0 }]);
  });
});
