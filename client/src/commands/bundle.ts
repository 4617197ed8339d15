import type { Command } from 'commander';

/** Registers the bundle verbs on the program (filled in by its issue). */
export function registerBundleCommands(program: Command): void {
  void program;
}
