import type { Command } from 'commander';

/** Registers the publisher verbs on the program (filled in by its issue). */
export function registerPublisherCommands(program: Command): void {
  void program;
}
