// Root-only: running a plan (runPlan, runPlanCaptured): output to a sink, timeout and abort, signals forwarded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPlan, runPlanCaptured, wait, type OutputStream } from '../src';
import { needsRoot, tempDir, removeDir } from './helpers';
import { basePlan, childPids } from './sandbox';

const skip = needsRoot('namespaces and mounts');
/** Milliseconds a test waits for the app to say it is ready. */
const READY_TIMEOUT_MS = 30_000;
let dir = '';

before(() => { if (!skip) dir = tempDir('run'); });
after(async () => {
  for (const pid of childPids()) {
    try { process.kill(pid, 'SIGKILL'); await wait(pid); } catch { /* already gone */ }
  }
  if (dir) removeDir(dir);
});

/** /dev/null in, a file out: three descriptors for runPlan and the file's path. */
function toFile(name: string): { stdio: [number, number, number]; file: string; close(): void } {
  const file = join(dir, name);
  const fds: [number, number, number] = [openSync('/dev/null', 'r'), openSync(file, 'w'), openSync('/dev/null', 'w')];
  return { stdio: fds, file, close: () => fds.forEach((fd) => closeSync(fd)) };
}

test('a captured run: stdin at end of file, each stream to the sink, and the status', { skip }, async () => {
  const got: Record<OutputStream, string> = { stdout: '', stderr: '' };
  const status = await runPlanCaptured(basePlan('read x || echo eof; echo out; echo err >&2; exit 4'), (stream, chunk) => { got[stream] += chunk.toString(); });
  assert.deepEqual(status, { code: 4, signal: null });
  assert.deepEqual(got, { stdout: 'eof\nout\n', stderr: 'err\n' });
});

test('a timeout, or an abort (even one fired before the start), kills the whole sandbox', { skip }, async () => {
  const io = toFile('timeout');
  try {
    assert.equal((await runPlan(basePlan('sleep 300 & sleep 300'), { stdio: io.stdio, timeoutMs: 200 })).signal, 'SIGKILL');
    const abort = new AbortController();
    abort.abort();
    assert.equal((await runPlan(basePlan('sleep 300'), { stdio: io.stdio, signal: abort.signal })).signal, 'SIGKILL');
    assert.equal((await runPlanCaptured(basePlan('sleep 300'), () => {}, { signal: abort.signal })).signal, 'SIGKILL');
  } finally { io.close(); }
  assert.deepEqual(childPids(), []);
});

test('forwardSignals passes this process\'s signals to the app while it runs, and stops after', { skip }, async () => {
  const io = toFile('forward');
  // Ours, so that a signal not forwarded fails the assertion below instead of ending this process.
  const ignore = (): void => {};
  process.on('SIGUSR2', ignore);
  const listeners = process.listenerCount('SIGUSR2');
  try {
    const run = runPlan(basePlan('trap "exit 7" USR2; echo ready; while :; do sleep 0.05; done'), { stdio: io.stdio, forwardSignals: ['SIGUSR2'], timeoutMs: 30_000 });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!readFileSync(io.file, 'utf8').includes('ready')) {
      assert.ok(Date.now() < deadline, 'the app never said ready');
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(process.pid, 'SIGUSR2');
    assert.deepEqual(await run, { code: 7, signal: null });
  } finally { io.close(); }
  assert.equal(process.listenerCount('SIGUSR2'), listeners, 'the forwarding handlers are gone');
  process.off('SIGUSR2', ignore);
});
