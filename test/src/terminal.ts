// A command run under a real pseudo-terminal (util-linux `script`), as an admin would run it at a shell.
import { spawn, spawnSync } from 'node:child_process';

/** Why terminal tests cannot run here, or false when they can. */
export function terminalSkipReason(): string | false {
  return spawnSync('script', ['--version']).status === 0 ? false : 'needs util-linux `script` to make a pseudo-terminal';
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface Terminal {
  /** Text typed into the terminal, as keys pressed by the admin. */
  type(text: string): void;
  /** Everything the terminal was sent so far (the command's stdout and stderr, and the echo of what was typed). */
  screen(): string;
  exited(): boolean;
  /** Resolves with the command's exit status once it has ended. */
  done: Promise<number | null>;
  kill(): void;
}

/** Runs argv with a pseudo-terminal as its stdin, stdout, stderr and controlling terminal. */
export function openTerminal(argv: string[], env: Record<string, string> = {}): Terminal {
  const child = spawn('script', ['-qfec', argv.map(quote).join(' '), '/dev/null'], {
    env: { ...process.env, SHELL: '/bin/sh', TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'inherit'],
  });
  let screen = '';
  let ended = false;
  child.stdout.setEncoding('latin1').on('data', (d: string) => { screen += d; });
  const done = new Promise<number | null>((resolve) => child.once('close', (status) => {
    ended = true;
    resolve(status);
  }));
  return {
    type: (text) => { if (!ended) child.stdin.write(text); },
    screen: () => screen,
    exited: () => ended,
    done: done.finally(() => child.stdin.end()),
    kill: () => { if (!ended) child.kill('SIGKILL'); },
  };
}
