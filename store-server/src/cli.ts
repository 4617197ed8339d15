import { Command } from 'commander';

/** The `skiff-store` admin command (filled in by the store issue). */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('skiff-store').description('Run and administer a Skiff store.');
  await program.parseAsync(argv);
}
