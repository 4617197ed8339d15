import { Command } from 'commander';
// The light entry points of @skiff/bundle: every `skiff` start pays for what it imports here.
import { SkiffError } from '@skiff/bundle/errors';
import { EXIT, describeParseError } from '@skiff/bundle/usage';

const VERSION: string = require('../../package.json').version;

type Area = 'bundle' | 'publisher' | 'device' | 'run';

// Each area's module (and what it imports: SQLite, tuf-js, the native addon) loads only when one
// of its verbs runs: a verb pays for its own area, not for all four, on every start.
const AREAS: Record<Area, () => (program: Command) => void> = {
  bundle: () => require('./commands/bundle').registerBundleCommands,
  publisher: () => require('./commands/publisher').registerPublisherCommands,
  device: () => require('./commands/device').registerDeviceCommands,
  run: () => require('./commands/run').registerRunCommands,
};

const VERB_AREAS: Record<string, Area[]> = {
  pack: ['bundle'], inspect: ['bundle'], key: ['bundle', 'publisher'],
  login: ['publisher'], register: ['publisher'], upload: ['publisher'], release: ['publisher'],
  close: ['publisher'], status: ['publisher'], find: ['publisher'],
  setup: ['device'], install: ['device'], refresh: ['device'], revert: ['device'], unblock: ['device'], remove: ['device'],
  list: ['device'], info: ['device'], changes: ['device'], tasks: ['device'], watch: ['device'], abort: ['device'],
  boot: ['device'], config: ['device'],
  run: ['run'], connect: ['run'], disconnect: ['run'], connections: ['run'],
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
    // Parse errors are thrown (exitOverride) and printed by reportError as one line, exit 2.
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

/** Prints an error as one clear line (or the error object with --json) and exits non-zero. */
export function reportError(err: unknown, json: boolean): never {
  const parse = describeParseError(err, 'skiff');
  if (parse) {
    if (parse.line) process.stderr.write(parse.line + '\n');
    process.exit(parse.status);
  }
  const code = err instanceof SkiffError ? err.code : 'internal-error';
  const message = err instanceof Error ? err.message : String(err);
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  else process.stderr.write(`skiff: ${message}\n`);
  if (!(err instanceof SkiffError) && process.env.SKIFF_DEBUG) console.error(err);
  process.exit(err instanceof SkiffError && err.code === 'usage' ? EXIT.usage : EXIT.failure);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    reportError(err, argv.includes('--json'));
  }
}
