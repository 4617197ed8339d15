import type { Command } from 'commander';

/** Registers the device verbs on the program (filled in by its issue). */
export function registerDeviceCommands(program: Command): void {
  void program;
}
