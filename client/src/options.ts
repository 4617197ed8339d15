import type { Command } from 'commander';
import { SkiffError } from '@skiff/bundle/errors';

/** Exit status of a command ended by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_STATUS = 130;

/** Set by the shims scripts/install writes (to `/`): only an installed skiff has a default device root. */
export const DEFAULT_ROOT_ENV = 'SKIFF_DEFAULT_ROOT';

/**
 * The device root for a command: --root, else SKIFF_ROOT, else the installed default. A skiff run from a
 * checkout has none, so a tour or a test never writes to the host's / by accident.
 */
export function rootOf(cmd: Command): string {
  let top: Command = cmd;
  while (top.parent) top = top.parent;
  const root = (top.opts().root as string | undefined) || process.env.SKIFF_ROOT || process.env[DEFAULT_ROOT_ENV];
  if (!root) throw new SkiffError('usage', 'which device? pass --root DIR or set SKIFF_ROOT (an installed skiff defaults to /)');
  return root;
}

/** A revision or change id typed on the command line: a whole number from 1. */
export function positiveIntArg(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new SkiffError('usage', `${what} must be a positive integer, not "${text}"`);
  return Number(text);
}

/** Prints a value as JSON (with --json) or through a formatter for people. */
export function output(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : human()) + '\n');
}
