// Root-only: a captured run's stdio is /dev/null and two pipes, never this process's; its output is cleaned and capped.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Fixture, skipReason } from '@skiff/confinement/dist/test/fixture';
import { runCaptured } from '../src/device/run';

const skip = skipReason();
const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('captured runs', { skip: skip ?? false }, () => {
  const fx = new Fixture();
  before(() => fx.setUp());
  after(() => fx.tearDown());

  test('stdin is at end of file, no descriptor is a terminal, and escapes are removed from both streams', async () => {
    const fds = openFds();
    const script = [
      'if read -r line; then echo "read: $line"; else echo "stdin: eof"; fi',
      'for fd in 0 1 2; do if [ -t $fd ]; then echo "fd $fd: tty"; else echo "fd $fd: no tty"; fi; done',
      'if (exec 3</dev/tty) 2>/dev/null; then echo "ctty: yes"; else echo "ctty: none"; fi',
      String.raw`printf '\033]0;pwned\007title\033[2Jclear\302\233\062Jc1\n'`,
      'echo "to stderr" >&2',
    ].join('\n');
    const r = await runCaptured(fx.ctx('probe'), { app: 'sh' }, { args: ['-c', script], timeoutMs: 30_000 });
    assert.deepEqual(r.status, { code: 0, signal: null });
    assert.deepEqual(r.output, {
      lines: [
        { stream: 'stdout', text: 'stdin: eof' },
        { stream: 'stdout', text: 'fd 0: no tty' }, { stream: 'stdout', text: 'fd 1: no tty' }, { stream: 'stdout', text: 'fd 2: no tty' },
        { stream: 'stdout', text: 'ctty: none' },
        { stream: 'stdout', text: 'titleclearc1' },
        { stream: 'stderr', text: 'to stderr' },
      ],
      droppedBytes: 0,
    });
    assert.equal(openFds(), fds, 'the pipes and /dev/null are closed');
  });

  test('a launch that fails leaves no descriptor open', async () => {
    const fds = openFds();
    await assert.rejects(runCaptured(fx.ctx('probe', { revision: 9 }), { app: 'sh' }, { args: ['-c', 'true'] }), { code: 'launch-failed' });
    assert.equal(openFds(), fds);
  });

  test('output far beyond the pipe buffer neither blocks the child nor grows past the cap', async () => {
    const lines = 800_000; // 8 MB of 10-byte lines
    const r = await runCaptured(fx.ctx('probe'), { app: 'sh' },
      { args: ['-c', `yes 123456789 | head -n ${lines}; echo done >&2`], timeoutMs: 60_000, maxOutputBytes: 4096 });
    assert.deepEqual(r.status, { code: 0, signal: null });
    const kept = r.output.lines.reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0);
    assert.ok(kept <= 4096, `kept ${kept} bytes`);
    assert.equal(kept + r.output.droppedBytes, lines * 10 + 5, 'every byte is kept or counted as dropped');
    assert.deepEqual(r.output.lines.at(-1), { stream: 'stderr', text: 'done' });
  });

  test('a timeout or an abort ends the run and closes its pipes, even with a child left in the background', async () => {
    const fds = openFds();
    const timedOut = await runCaptured(fx.ctx('probe'), { app: 'sh' }, { args: ['-c', 'sleep 300 & echo started; sleep 300'], timeoutMs: 300 });
    assert.equal(timedOut.status.signal, 'SIGKILL');
    assert.deepEqual(timedOut.output.lines, [{ stream: 'stdout', text: 'started' }]);
    const abort = new AbortController();
    const running = runCaptured(fx.ctx('probe'), { app: 'sh' }, { args: ['-c', 'echo started; sleep 300 >&2'], signal: abort.signal });
    setImmediate(() => abort.abort());
    const aborted = await running;
    assert.equal(aborted.status.signal, 'SIGKILL');
    assert.equal(openFds(), fds, 'the pipes and /dev/null are closed');
  });

  test('a descriptor passed out of the sandbox cannot hold the run open: the pipes are cut after the drain time', async () => {
    const sock = join(fx.root, 'var/skiff/probe/1/fd.sock');
    // On the host, outside every namespace: takes a descriptor over the socket and keeps it.
    const keeper = spawn('/usr/bin/python3', ['-c', [
      'import os, socket, sys, time',
      `s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)}); os.chmod(${JSON.stringify(sock)}, 0o777); s.listen(1)`,
      'print("ready", flush=True)',
      'c, _ = s.accept(); msg, fds, _, _ = socket.recv_fds(c, 1, 1)',
      'print("kept", len(fds), flush=True)',
      'time.sleep(600)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fds = openFds();
    try {
      keeper.stdout.setEncoding('utf8');
      let said = '';
      keeper.stdout.on('data', (d: string) => { said += d; });
      const untilSaid = async (word: string): Promise<void> => {
        while (!said.includes(word)) {
          if (keeper.exitCode !== null || keeper.signalCode !== null) throw new Error(`the keeper ended early: ${said}`);
          await Promise.race([once(keeper.stdout, 'data'), once(keeper, 'exit')]);
        }
      };
      await untilSaid('ready');
      const send = 'import socket; s = socket.socket(socket.AF_UNIX); s.connect("/data/fd.sock"); socket.send_fds(s, [b"x"], [1]); print("sent", flush=True)';
      const r = await runCaptured(fx.ctx('probe'), { app: 'sh' }, { args: ['-c', `/usr/bin/python3 -c '${send}'`], timeoutMs: 30_000, outputDrainMs: 200 });
      assert.deepEqual(r.status, { code: 0, signal: null });
      assert.deepEqual(r.output.lines, [{ stream: 'stdout', text: 'sent' }]);
      await untilSaid('kept');
      assert.match(said, /kept 1/, 'the host process holds the write end of the stdout pipe');
      assert.equal(openFds(), fds, 'the pipes and /dev/null are closed');
    } finally {
      keeper.kill('SIGKILL');
    }
  });
});
