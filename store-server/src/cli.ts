import { Command, InvalidArgumentError } from 'commander';
import { SkiffError, EXIT, describeParseError } from '@skiff/bundle';
import { initStore, openStore } from './context';
import { accountService } from './services/accounts';
import type { StoreSettings } from './settings';

const VERSION: string = require('../../package.json').version;

function dataDirOf(opts: { data?: string }): string {
  const dir = opts.data ?? process.env.SKIFF_STORE_DATA;
  if (!dir) throw new SkiffError('usage', 'the data folder is required: --data DIR (or SKIFF_STORE_DATA)');
  return dir;
}

function integer(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function print(line: string): void {
  process.stdout.write(line + '\n');
}

function buildProgram(): Command {
  const program = new Command('skiff-store')
    .description('Run and administer a Skiff store: accounts, uploads, channels and its signed TUF repository.')
    .version(VERSION, '-V, --version')
    // Parse errors are thrown (exitOverride) and printed by main as one line, exit 2.
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  program.command('init')
    .description('create a store: database, blob folder, TUF keys (0600) and version 1 of every role; prints the root.json devices must trust, last')
    .option('--data <dir>', 'data folder (env SKIFF_STORE_DATA)')
    .option('--bin-bits <n>', 'hashed bins: 2^n of them (fixed for the life of the store)', integer)
    .action((opts: { data?: string; binBits?: number }) => {
      const dir = dataDirOf(opts);
      const { paths, rootJsonPath } = initStore(dir, opts.binBits !== undefined ? { binBitLength: opts.binBits } : {});
      print(`initialised a store in ${paths.data}`);
      print(`TUF keys (keep them secret; root may be moved offline): ${paths.keys}`);
      print(`the repository, to serve as static files: ${paths.repo}`);
      print(`give devices this root of trust:`);
      print(rootJsonPath);
    });

  program.command('serve')
    .description('run the store server (JSON logs on stdout; SIGTERM stops it gracefully)')
    .option('--data <dir>', 'data folder (env SKIFF_STORE_DATA)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--max-upload-bytes <n>', 'largest bundle accepted', integer)
    .option('--timestamp-expiry <seconds>', 'lifetime of a signed timestamp', integer)
    .option('--timestamp-margin <seconds>', 're-sign the timestamp when it expires within this', integer)
    .option('--expiry-check-interval <seconds>', 'how often to look for metadata close to expiry', integer)
    .option('--metadata-retention <seconds>', 'keep superseded metadata versions this long (at least the timestamp expiry)', integer)
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: { data?: string; listen: string; maxUploadBytes?: number; timestampExpiry?: number; timestampMargin?: number; expiryCheckInterval?: number; metadataRetention?: number; logLevel: string }) => {
      const settings: Partial<StoreSettings> = {};
      if (opts.maxUploadBytes !== undefined) settings.maxUploadBytes = opts.maxUploadBytes;
      if (opts.timestampExpiry !== undefined) settings.timestampExpirySeconds = opts.timestampExpiry;
      if (opts.timestampMargin !== undefined) settings.timestampResignMarginSeconds = opts.timestampMargin;
      if (opts.expiryCheckInterval !== undefined) settings.expiryCheckIntervalSeconds = opts.expiryCheckInterval;
      if (opts.metadataRetention !== undefined) settings.metadataRetentionSeconds = opts.metadataRetention;
      // Loaded here so that init and account commands do not pay for fastify.
      const { serveUntilSignalled } = require('./server') as typeof import('./server');
      await serveUntilSignalled({ dataDir: dataDirOf(opts), listen: opts.listen, settings, logLevel: opts.logLevel });
    });

  const account = program.command('account').description('publisher accounts');
  account.command('add <name>')
    .description('create an account; prints its API token once, as the last line (only a hash is kept)')
    .option('--data <dir>', 'data folder (env SKIFF_STORE_DATA)')
    .option('--json', 'print {"name", "token"} as JSON')
    .action((name: string, opts: { data?: string; json?: boolean }) => {
      const ctx = openStore(dataDirOf(opts));
      try {
        const { account: row, token } = accountService(ctx).create(name);
        if (opts.json) print(JSON.stringify({ name: row.name, created: row.created, token }));
        else {
          print(`created account ${row.name}; its token is shown once, keep it:`);
          print(token);
        }
      } finally {
        ctx.close();
      }
    });
  account.command('list')
    .description('list accounts')
    .option('--data <dir>', 'data folder (env SKIFF_STORE_DATA)')
    .option('--json', 'print JSON')
    .action((opts: { data?: string; json?: boolean }) => {
      const ctx = openStore(dataDirOf(opts));
      try {
        const rows = ctx.accounts.list();
        if (opts.json) print(JSON.stringify(rows.map((r) => ({ name: r.name, created: r.created, apps: r.apps, keys: r.keys }))));
        else {
          print(['NAME', 'APPS', 'KEYS', 'CREATED'].join('\t'));
          for (const r of rows) print([r.name, r.apps, r.keys, r.created].join('\t'));
        }
      } finally {
        ctx.close();
      }
    });
  return program;
}

/** The `skiff-store` admin command. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const parse = describeParseError(err, 'skiff-store');
    if (parse) {
      if (parse.line) process.stderr.write(parse.line + '\n');
      process.exitCode = parse.status;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (argv.includes('--json')) {
      process.stdout.write(JSON.stringify({ error: { code: err instanceof SkiffError ? err.code : 'internal-error', message } }) + '\n');
    } else process.stderr.write(`skiff-store: ${message}\n`);
    if (!(err instanceof SkiffError) && process.env.SKIFF_DEBUG) console.error(err);
    // A bad flag or setting value is a usage error.
    process.exitCode = err instanceof SkiffError && (err.code === 'usage' || err.code === 'setting-invalid') ? EXIT.usage : EXIT.failure;
  }
}
