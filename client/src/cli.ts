import { Command } from 'commander';
import { SkiffError } from '@skiff/bundle';
import { registerBundleCommands } from './commands/bundle';
import { registerPublisherCommands } from './commands/publisher';
import { registerDeviceCommands } from './commands/device';
import { registerRunCommands } from './commands/run';

const VERSION: string = require('../../package.json').version;

/** Builds the whole `skiff` program; each area registers its verbs from its own module. */
export function buildProgram(): Command {
  const program = new Command('skiff')
    .description('Install, update and run confined apps; pack and publish them.')
    .version(VERSION, '-V, --version')
    .option('--root <dir>', 'device root folder (env SKIFF_ROOT)', process.env.SKIFF_ROOT ?? '/')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerBundleCommands(program);
  registerPublisherCommands(program);
  registerDeviceCommands(program);
  registerRunCommands(program);
  return program;
}

/** Prints an error as one clear line (or the error object with --json) and exits non-zero. */
export function reportError(err: unknown, json: boolean): never {
  const code = err instanceof SkiffError ? err.code : 'internal-error';
  const message = err instanceof Error ? err.message : String(err);
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  else process.stderr.write(`skiff: ${message}\n`);
  if (!(err instanceof SkiffError) && process.env.SKIFF_DEBUG) console.error(err);
  process.exit(err instanceof SkiffError && err.code === 'usage' ? 2 : 1);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    reportError(err, argv.includes('--json'));
  }
}
