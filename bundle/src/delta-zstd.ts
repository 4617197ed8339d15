import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ToolError } from './tools';

export interface ZstdRun { stdin: Writable; stdout: Readable; done: Promise<void>; kill(): void }

/**
 * Runs zstd with piped stdin/stdout (a delta is streamed, never held whole in memory). `done` settles
 * when zstd exits: rejected with its last words on a non-zero exit, or when `timeoutMs` passes.
 */
export function runZstd(args: readonly string[], opts: { timeoutMs: number; stdout?: number }): ZstdRun {
  const child = spawn('zstd', ['-q', ...args], { stdio: ['pipe', opts.stdout ?? 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { if (stderr.length < 4096) stderr += c.toString('utf8'); });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs);
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ToolError(err.code === 'ENOENT' ? 'zstd not found: install zstd' : `zstd failed: ${err.message}`, 'zstd', ''));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const said = stderr.trim().split('\n').slice(-1)[0] ?? '';
      if (timedOut) reject(new ToolError(`zstd took longer than ${opts.timeoutMs} ms and was stopped`, 'zstd', said));
      else if (code !== 0) reject(new ToolError(`zstd failed${said ? `: ${said}` : ` (${signal ?? `exit ${code}`})`}`, 'zstd', said));
      else resolve();
    });
  });
  // An early exit of zstd surfaces through `done`; a write to its closed stdin must not crash the process.
  child.stdin!.on('error', () => undefined);
  // Killed with output unread: its pipe is dropped too, or 'close' (and so `done`) would wait for a reader.
  const kill = () => { child.kill('SIGKILL'); child.stdout?.destroy(); };
  return { stdin: child.stdin!, stdout: child.stdout!, done, kill };
}
