import { Command } from 'commander';
// The light entry point of @skiff/bundle: every `skiff` start pays for what it imports here.
import { reportCommandError } from '@skiff/bundle/usage';

const VERSION: string = require('../../package.json').version;

type Area = 'bundle' | 'publisher' | 'device' | 'run' | 'services';

// Each area's module (and what it imports: SQLite, tuf-js, the native addon) loads only when one
// of its verbs runs: a verb pays for its own area, not for all four, on every start.
const AREAS: Record<Area, () => (program: Command) => void> = {
  bundle: () => require('./commands/bundle').registerBundleCommands,
  publisher: () => require('./commands/publisher').registerPublisherCommands,
  device: () => require('./commands/device').registerDeviceCommands,
  run: () => require('./commands/run').registerRunCommands,
  services: () => require('./commands/services').registerServiceCommands,
};

const VERB_AREAS: Record<string, Area[]> = {
  pack: ['bundle'], inspect: ['bundle'], key: ['bundle', 'publisher'],
  login: ['publisher'], register: ['publisher'], upload: ['publisher'], release: ['publisher'],
  close: ['publisher'], status: ['publisher'], find: ['publisher'],
  setup: ['device'], install: ['device'], refresh: ['device'], revert: ['device'], unblock: ['device'], remove: ['device'],
  list: ['device'], info: ['device'], changes: ['device'], tasks: ['device'], watch: ['device'], abort: ['device'],
  boot: ['device'], config: ['device'],
  run: ['run'], connect: ['run'], disconnect: ['run'], connections: ['run'],
  services: ['services'], start: ['services'], stop: ['services'], restart: ['services'], logs: ['services'],
};

/** The verb of a command line: the first word that is not an option or the value of --root. */
function verbOf(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--root') { i++; continue; }
    if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

/**
 * Builds the `skiff` program; each area registers its verbs from its own module. With `argv`, only
 * the areas of its verb are loaded (all of them for --help, no verb, or an unknown verb).
 */
export function buildProgram(argv?: string[]): Command {
  const program = new Command('skiff')
    .description('Install, update and run confined apps; pack and publish them.')
    .version(VERSION, '-V, --version')
    .option('--root <dir>', 'device root folder (env SKIFF_ROOT; an installed skiff defaults to /)')
    // Parse errors are thrown (exitOverride) and printed by main as one line, exit 2.
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  const args = argv?.slice(2) ?? [];
  const verb = argv ? verbOf(args) : undefined;
  // `skiff --version` needs no verb at all; --help, no verb or an unknown one lists every area.
  const versionOnly = verb === undefined && args.some((a) => a === '-V' || a === '--version') && !args.some((a) => a === '-h' || a === '--help');
  const areas = versionOnly ? [] : (verb && VERB_AREAS[verb]) || (Object.keys(AREAS) as Area[]);
  for (const area of areas) AREAS[area]()(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exit(reportCommandError(err, 'skiff', { json: argv.includes('--json') }));
  }
}
