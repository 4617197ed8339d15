import type { Command } from 'commander';

/** Registers the run verbs on the program (filled in by its issue). */
export function registerRunCommands(program: Command): void {
  void program;
}
