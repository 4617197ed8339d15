import { execFile } from 'node:child_process';
import { SkiffError } from './errors';
import { BUNDLE_LIMITS } from './settings';

/** A squashfs tool could not run or failed; `stderr` holds its last words. */
export class ToolError extends SkiffError {
  constructor(message: string, readonly tool: string, readonly stderr: string) {
    super('tool-failed', message);
  }
}

export interface RunOptions { timeoutMs: number; maxBytes?: number }

/** Runs a tool with a fixed locale and time zone (its output is parsed), a timeout and an output cap. */
export function runTool(tool: string, args: readonly string[], opts: RunOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, {
      encoding: 'buffer',
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: opts.maxBytes ?? BUNDLE_LIMITS.childOutputMaxBytes,
      env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
    }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
      const said = lastLines(stderr.toString('utf8'));
      if (e.code === 'ENOENT') reject(new ToolError(`${tool} not found: install squashfs-tools`, tool, said));
      else if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') reject(new ToolError(`${tool} printed more than ${opts.maxBytes ?? BUNDLE_LIMITS.childOutputMaxBytes} bytes`, tool, said));
      else if (e.killed) reject(new ToolError(`${tool} took longer than ${opts.timeoutMs} ms and was stopped`, tool, said));
      else reject(new ToolError(`${tool} failed${said ? `: ${said}` : ` (exit ${String(e.code)})`}`, tool, said));
    });
  });
}

// One line is enough for an error message; squashfs tools print the cause last.
function lastLines(stderr: string): string {
  return stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(-2).join('; ');
}
