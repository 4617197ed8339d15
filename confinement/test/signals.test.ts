// Root-only: the signal state a confined app starts with (`skiff run APP | head -1` must end quietly).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlan } from '@skiff/native';
import { buildLaunchPlan } from '../src';
import { Fixture, skipReason } from './fixture';

const skip = skipReason();
const SIGPIPE_BIT = 1n << 12n;  // signal 13
const NONE = '0000000000000000';

/** The launching process's own SigIgn, as a number. */
const ownIgnored = (): bigint => BigInt(`0x${/^SigIgn:\s*(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);

describe('signals of a confined app', { skip: skip ?? false }, () => {
  const fx = new Fixture();
  const fifoDir = mkdtempSync(join(tmpdir(), 'skiff-signals-'));
  before(() => fx.setUp());
  after(() => { fx.tearDown(); rmSync(fifoDir, { recursive: true, force: true }); });

  test('start at their default dispositions with an empty mask, though Node ignores SIGPIPE and handles SIGUSR2', async () => {
    const handler = () => undefined;
    process.on('SIGUSR2', handler);
    try {
      assert.equal(ownIgnored() & SIGPIPE_BIT, SIGPIPE_BIT, 'precondition: the launching Node ignores SIGPIPE');
      const r = await fx.run(fx.ctx('probe'), { app: 'probe' }, ['signals']);
      assert.equal(r.status.code, 0, r.err);
      assert.deepEqual(Object.fromEntries(r.out.trim().split('\n').map((l) => l.split(/:\s+/))), { SigBlk: NONE, SigIgn: NONE, SigCgt: NONE });
    } finally { process.off('SIGUSR2', handler); }
  });

  /** Runs target with stdout on a pipe whose reader is gone; its status and what it wrote on stderr. */
  async function toClosedPipe(target: { app: string }, args: string[]) {
    const fifo = join(fifoDir, `out-${args.length}`);
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    const io = fx.stdio();
    try {
      const status = await runPlan(buildLaunchPlan(fx.ctx('probe'), target, args), { stdio: [io.stdio[0], writer, io.stdio[2]], timeoutMs: 30_000 });
      return { status, err: readFileSync(io.err, 'utf8') };
    } finally { closeSync(writer); io.close(); rmSync(fifo); }
  }

  test('a writer to a pipe whose reader is gone dies of SIGPIPE', async () => {
    const r = await toClosedPipe({ app: 'sh' }, ['-c', '/app/bin/probe pipe-writer; echo "status=$?" >&2']);
    assert.equal(r.status.code, 0);
    assert.equal(r.err, 'status=141\n', 'killed by signal 13, not a write error');
  });

  // The app is not pid 1 (the sandbox's init is), so the kernel does not drop its SIGPIPE.
  test('the app itself dies of SIGPIPE', async () => {
    const r = await toClosedPipe({ app: 'probe' }, ['pipe-writer']);
    assert.equal(r.status.signal, 'SIGPIPE', `${JSON.stringify(r.status)} ${r.err}`);
  });
});
