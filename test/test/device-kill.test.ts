// SIGKILL at random moments of a refresh of a 20 MB bundle (random, incompressible payload): after
// each kill the next command finds the device exactly at the old or the new revision.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { publishBundle, type RunningStore } from '../src/store';
import { SKIFF, skiff, makeBundle, openDeviceWorld, closeDeviceWorld, checkOldOrNew, rootSkipReason, mountsUnder, setupDevice, withDevice, type AppState } from '../src/device-fixture';

/** Kills at random moments; the issue asks for at least 50. */
const KILLS = Number(process.env.SKIFF_TEST_KILLS ?? 50);
/** Size of the random payload of each bundle, in bytes. */
const PAYLOAD_BYTES = 20 * 1024 * 1024;
/** Runs allowed per wanted kill (a run that finishes before its kill does not count). */
const MAX_RUNS_PER_KILL = 2;
/** Share of the CLI start-up time that kills skip (they would find nothing begun). */
const STARTUP_SKIP = 0.8;

describe('device: random kills during a refresh of a 20 MB bundle', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let work = '';
  let root = '';

  before(async () => {
    ({ store, work, root } = await openDeviceWorld('kill'));
  });
  after(async () => {
    await closeDeviceWorld({ store, work, root });
  });

  const ok = (args: string[]): void => {
    const r = skiff(root, args);
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
  };

  /** Starts `skiff refresh hello` and SIGKILLs it after delayMs (if still running); resolves with how it ended. */
  function refreshKilledAfter(delayMs: number): Promise<string> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [SKIFF, '--root', root, 'refresh', 'hello'], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      child.once('exit', (code, signal) => { clearTimeout(timer); resolve(signal ?? `exit ${code}`); });
    });
  }

  test(`${KILLS} kills at random moments`, { timeout: 8 * 60_000 }, async (t) => {
    const r1 = (await publishBundle(store!, await makeBundle(work, { name: 'hello', version: '1.0', checkHealth: 0, randomBytes: PAYLOAD_BYTES }), { channel: 'stable' })).revision;
    const r2 = (await publishBundle(store!, await makeBundle(work, { name: 'hello', version: '1.1', checkHealth: 0, randomBytes: PAYLOAD_BYTES }), { channel: 'stable' })).revision;
    const versions = new Map([[r1, '1.0'], [r2, '1.1']]);
    const oldState: AppState = { current: r1, retained: [r1] };
    const newState: AppState = { current: r2, retained: [r1, r2] };
    await setupDevice(root, store!);
    const reset = (): Promise<unknown> => withDevice(root, async (ops) => { await ops.remove('hello', { purge: true }); await ops.install('hello', { revision: r1 }); });
    ok(['install', 'hello', '--revision', String(r1)]);

    // One refresh without a kill gives the window to aim at; runs that finish before their kill narrow it.
    let t0 = Date.now();
    ok(['refresh', 'hello']);
    let windowMs = Date.now() - t0;
    await reset();
    // Start-up of the CLI (node, modules, state.db) before it touches anything: kills aim past most of it.
    t0 = Date.now();
    ok(['changes']);
    const startupMs = Math.floor((Date.now() - t0) * STARTUP_SKIP);

    const tally = { old: 0, new: 0, killed: 0, runs: 0 };
    while (tally.killed < KILLS && tally.runs < KILLS * MAX_RUNS_PER_KILL) {
      const delay = startupMs + Math.floor(Math.random() * Math.max(1, windowMs - startupMs));
      t0 = Date.now();
      const how = await refreshKilledAfter(delay);
      tally.runs++;
      if (how === 'SIGKILL') tally.killed++;
      else windowMs = Math.min(windowMs, Date.now() - t0);
      const state = await checkOldOrNew(root, 'hello', `run ${tally.runs}: kill after ${delay} ms (${how})`, [oldState, newState], versions);
      if (state.current === r2) { tally.new++; await reset(); } else tally.old++;
    }
    t.diagnostic(`refresh window ${windowMs} ms, start-up skipped ${startupMs} ms; ${tally.runs} runs, ${tally.killed} killed mid-way; ended old ${tally.old}, new ${tally.new}`);
    assert.equal(tally.killed, KILLS, `${KILLS} runs killed mid-way`);
    // Where kills land depends on the machine (most fall in the download); every boundary is covered by device-crash.
    assert.ok(tally.old > 0, 'some kills landed before the commit point');
    ok(['remove', 'hello', '--purge']);
    assert.deepEqual(mountsUnder(root), []);
  });
});
