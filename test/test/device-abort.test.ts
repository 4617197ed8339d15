// `skiff abort` from a second process reaches the task that runs: a pre-refresh hook stuck in `sleep` is
// killed with its sandbox, the refresh is undone, the app stays where it was and its update is not blocked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishBundle } from '../src/store';
import { SKIFF, skiff, skiffJson, makeBundle, openSetUpWorld, closeDeviceWorld, rootSkipReason, type DeviceWorld, type ListedApp } from '../src/device-fixture';

const skip = rootSkipReason();
let world: DeviceWorld | undefined;

before(async () => {
  if (skip) return;
  world = await openSetUpWorld('abort');
});
after(async () => { await closeDeviceWorld(world ?? {}); });

/** Pids of processes running `sleep 600`: the hook's, if anything of its sandbox survived. */
function sleepers(): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u0000600\u0000'; } catch { return false; }
  });
}

/** The CLI, asynchronously: the test keeps running while it waits on its hook. */
function skiffAsync(root: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SKIFF, '--root', root, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test('skiff abort kills a running pre-refresh hook: the refresh is undone, and not blocked', { skip }, async () => {
  const { store, work, root } = world!;
  const release = async (version: string, preRefresh?: string): Promise<number> => (await publishBundle(store,
    await makeBundle(work, { name: 'hello', version, ...(preRefresh ? { preRefresh } : {}) }), { channel: 'stable' })).revision;
  // pre-refresh runs from the installed revision: it marks that it started, then hangs far beyond this test.
  const r1 = await release('1.0', 'touch "$SKIFF_DATA/hook-started"; exec sleep 600');
  assert.equal(skiff(root, ['install', 'hello']).status, 0);
  const r2 = await release('1.1');

  const refresh = skiffAsync(root, ['refresh', 'hello']);
  const marker = join(root, 'var/skiff/hello', String(r1), 'hook-started');
  for (let i = 0; i < 400 && !existsSync(marker); i++) await sleep(25);
  assert.ok(existsSync(marker), 'the pre-refresh hook is running');
  const doing = skiffJson<{ id: number; status: string }[]>(root, ['changes']).filter((c) => c.status === 'doing');
  assert.equal(doing.length, 1);
  const abort = skiff(root, ['abort', String(doing[0]!.id)]);
  assert.equal(abort.status, 0, abort.stderr);

  // The hook sleeps 600 s and its timeout is 120 s: ending well before either means it was killed.
  const r = await Promise.race([refresh, sleep(30_000).then(() => null)]);
  assert.ok(r, 'the refresh ended once aborted, without waiting the hook out');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr.trim(), /^skiff: Refresh hello from revision \d+ to \d+ .* failed and was undone: aborted; back on revision \d+$/);
  assert.deepEqual(skiffJson<ListedApp[]>(root, ['list']).map((a) => [a.name, a.revision]), [['hello', r1]]);
  assert.deepEqual(skiffJson<{ name: string; to: number }[]>(root, ['refresh', '--list']).map((u) => [u.name, u.to]), [['hello', r2]],
    'an aborted refresh does not block the revision');
  assert.deepEqual(sleepers(), [], 'nothing of the hook is left running');
});

test('Ctrl-C during a refresh undoes it as skiff abort does, and says so in one line', { skip }, async () => {
  const { root } = world!;
  // The test above leaves hello on a revision whose pre-refresh hook hangs, with a newer one offered.
  const [app] = skiffJson<ListedApp[]>(root, ['list']);
  const offered = skiffJson<{ to: number }[]>(root, ['refresh', '--list']);
  assert.equal(offered.length, 1, 'a refresh is offered');
  const marker = join(root, 'var/skiff/hello', String(app!.revision), 'hook-started');
  rmSync(marker, { force: true });

  const child = spawn(process.execPath, [SKIFF, '--root', root, 'refresh', 'hello'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    for (let i = 0; i < 400 && !existsSync(marker); i++) await sleep(25);
    assert.ok(existsSync(marker), 'the pre-refresh hook is running');
    child.kill('SIGINT');
    const code = await Promise.race([exited, sleep(30_000).then(() => 'hung' as const)]);
    assert.equal(code, 1, stderr);
  } finally { child.kill('SIGKILL'); }
  const lines = stderr.trim().split('\n');
  assert.match(lines[0]!, /^skiff: interrupted; undoing change \d+ \(Ctrl-C again to quit at once\)$/);
  assert.match(lines[1]!, /^skiff: Refresh hello .* failed and was undone: aborted; back on revision \d+$/);
  assert.deepEqual(skiffJson<ListedApp[]>(root, ['list']).map((a) => a.revision), [app!.revision]);
  assert.deepEqual(skiffJson<{ status: string }[]>(root, ['changes']).filter((c) => c.status === 'doing'), []);
  assert.deepEqual(sleepers(), [], 'nothing of the hook is left running');
});
