// Root-only: a captured run's stdio is /dev/null and two pipes, never this process's; its output is cleaned and capped.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { runCaptured } from '../src';
import { Fixture, skipReason } from './fixture';

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
});
