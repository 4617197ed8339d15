import type { Command } from 'commander';

/** The device root for a command: --root on the program (or SKIFF_ROOT), default '/'. */
export function rootOf(cmd: Command): string {
  let top: Command = cmd;
  while (top.parent) top = top.parent;
  return (top.opts().root as string | undefined) ?? process.env.SKIFF_ROOT ?? '/';
}

/** Prints a value as JSON (with --json) or through a formatter for people. */
export function output(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : human()) + '\n');
}
