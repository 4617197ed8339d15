import { Command, InvalidArgumentError, Option } from 'commander';
import { SkiffError, reportCommandError } from '@skiff/bundle';
import { initStore, openStore } from './context';
import { accountService } from './services/accounts';
import { lockDataDir } from './lock';
import { binBitsFor } from './tuf/repository';
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

/** `serve` flags: each sets one setting (see settings.ts), in the unit its value names. */
const SERVE_FLAGS: ReadonlyArray<readonly [string, keyof StoreSettings, string]> = [
  ['--max-upload-bytes <n>', 'maxUploadBytes', 'largest bundle accepted'],
  ['--timestamp-expiry <seconds>', 'timestampExpirySeconds', 'lifetime of a signed timestamp'],
  ['--timestamp-margin <seconds>', 'timestampResignMarginSeconds', 're-sign the timestamp when it expires within this'],
  ['--expiry-check-interval <seconds>', 'expiryCheckIntervalSeconds', 'how often to look for metadata close to expiry'],
  ['--metadata-retention <seconds>', 'metadataRetentionSeconds', 'keep superseded metadata versions this long (at least the timestamp expiry)'],
  ['--idle-timeout <seconds>', 'socketIdleTimeoutSeconds', 'close a connection idle this long'],
  ['--keep-alive-timeout <seconds>', 'keepAliveTimeoutSeconds', 'close a keep-alive connection with no new request in this time'],
  ['--headers-timeout <seconds>', 'headersTimeoutSeconds', 'cut a request whose headers have not all arrived in this time'],
  ['--request-timeout <seconds>', 'requestTimeoutSeconds', 'cut a request (body included) not received in this time'],
  ['--upload-rate-interval <seconds>', 'uploadRateIntervalSeconds', 'window over which the minimum upload rate is checked'],
  ['--upload-min-bytes <n>', 'uploadMinBytesPerInterval', 'cut an upload that brings fewer bytes than this in one window'],
  ['--max-connections <n>', 'maxConnections', 'open connections accepted at once'],
  ['--max-uploads-in-flight <n>', 'maxUploadsInFlightPerAccount', 'uploads one account may have in flight'],
  ['--max-names <n>', 'maxNamesPerAccount', 'app names one account may register'],
  ['--max-json-body-bytes <n>', 'maxJsonBodyBytes', 'largest JSON request body'],
  ['--session-lifetime <seconds>', 'sessionLifetimeSeconds', 'a publisher signed in on the pages is signed out after this'],
  ['--page-cache-entries <n>', 'pageCacheEntries', 'rendered pages kept until the database changes (0: off)'],
  ['--trust-proxy-hops <n>', 'trustProxyHops', 'proxies in front whose X-Forwarded-Proto is believed (behind TLS: Secure cookies)'],
  ['--delta-sources <n>', 'deltaSourceRevisions', 'deltas made for a release, from this many earlier revisions of each channel (0: none)'],
  ['--delta-timeout <seconds>', 'deltaTimeoutSeconds', 'stop computing a delta after this'],
  ['--delta-memory-mib <n>', 'deltaMemoryMiB', 'memory of the worker computing a delta'],
  ['--delta-max-percent <n>', 'deltaMaxPercentOfBundle', 'publish a delta only when smaller than this percentage of its bundle'],
  ['--delta-attempts <n>', 'deltaJobAttempts', 'runs of one delta job (failed, timed out or cut by a crash) before it is dropped'],
  ['--wal-autocheckpoint-pages <n>', 'walAutocheckpointPages', 'copy the SQLite WAL into the database once it holds this many 4 KiB pages'],
  ['--wal-size-limit-bytes <n>', 'walSizeLimitBytes', 'truncate the SQLite WAL to this size after a checkpoint'],
];

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

  const serve = program.command('serve')
    .description('run the store server (JSON logs on stdout; SIGTERM stops it gracefully)')
    .option('--data <dir>', 'data folder (env SKIFF_STORE_DATA)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--log-level <level>', 'pino log level', 'info');
  for (const [flag, , help] of SERVE_FLAGS) serve.option(flag, help, integer);
  serve.action(async (opts: { data?: string; listen: string; logLevel: string }, command: Command) => {
    const settings: Partial<StoreSettings> = {};
    for (const [flag, key] of SERVE_FLAGS) {
      const value = command.getOptionValue(new Option(flag).attributeName()) as number | undefined;
      if (value !== undefined) settings[key] = value;
    }
    // Loaded here so that init and account commands do not pay for fastify.
    const { serveUntilSignalled } = require('./server') as typeof import('./server');
    await serveUntilSignalled({ dataDir: dataDirOf(opts), listen: opts.listen, settings, logLevel: opts.logLevel });
  });

  program.command('rebin')
    .description('on a stopped store: move every target into 2^n hashed bins (devices follow through normal TUF updates)')
    .option('--data <dir>', 'data folder (env SKIFF_STORE_DATA)')
    .option('--bits <n>', 'bin bit length; default: the one that makes a release smallest for the targets the store lists', integer)
    .action((opts: { data?: string; bits?: number }) => {
      const dir = dataDirOf(opts);
      // Taken like serve takes it: a running server would keep signing the old layout.
      const unlock = lockDataDir(dir);
      try {
        const ctx = openStore(dir);
        try {
          const count = ctx.tuf.targetCount;
          const bits = opts.bits ?? binBitsFor(count);
          const report = ctx.tuf.rebin(bits);
          print(`moved ${count} targets into ${2 ** bits} hashed bins: targets version ${ctx.tuf.versions.targets}, ` +
            `snapshot version ${report.snapshotVersion}, ${report.files.length} files, ${report.metadataBytes} bytes`);
        } finally {
          ctx.close();
        }
      } finally {
        unlock();
      }
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
    // A bad flag or setting value is a usage error.
    process.exitCode = reportCommandError(err, 'skiff-store', { json: argv.includes('--json'), usageCodes: ['setting-invalid'] });
  }
}
