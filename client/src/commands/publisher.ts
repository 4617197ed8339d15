import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { DeviceLayout, SkiffError } from '@skiff/bundle';
import { output, positiveIntArg, rootOf } from '../options';
import { loadKey } from '../keystore';
import { StoreClient } from '../publisher/api';
import { resolveLogin, saveLogin, normaliseStoreUrl } from '../publisher/config';
import { NotLoggedInError, StoreRequestError } from '../publisher/errors';
import { channelTable, releasedLine, searchTable } from '../publisher/status';
import { formatBytes } from '../format';
import { uploadBundle } from '../publisher/upload';

const STORE_HELP = 'store URL (env SKIFF_STORE; default: the one from `skiff login`)';

function clientFor(opts: { store?: string }, needToken = true): StoreClient {
  const login = resolveLogin({ ...(opts.store ? { store: opts.store } : {}), needToken });
  return new StoreClient({ url: login.store, ...(login.token ? { token: login.token } : {}) });
}

/**
 * The store a read-only verb asks: --store, SKIFF_STORE or the login's; without those, the store the
 * device under --root (or SKIFF_ROOT) was set up with, so a device owner needs no publisher login.
 */
function readOnlyClient(opts: { store?: string }, cmd: Command): StoreClient {
  try {
    return clientFor(opts, false);
  } catch (err) {
    if (!(err instanceof NotLoggedInError)) throw err;
    const store = deviceStoreUrl(cmd);
    if (!store) throw err;
    return new StoreClient({ url: store });
  }
}

/** The store URL of the device under --root, if there is one set up (the device area loads only here). */
function deviceStoreUrl(cmd: Command): string | undefined {
  let root: string;
  try { root = rootOf(cmd); } catch { return undefined; }
  if (!existsSync(new DeviceLayout(root).stateDb)) return undefined;
  const { openDevice } = require('../device') as typeof import('../device');
  const device = openDevice(root);
  try { return device.state.configGet('store.url'); } finally { device.close(); }
}

/**
 * The token from stdin: the line typed at a terminal, or the last non-empty line of a pipe or file, so
 * the whole output of `skiff-store account add` (whose last line is the token) works as it is.
 */
async function readToken(prompt: string): Promise<string> {
  const typed = process.stdin.isTTY;
  if (typed) process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: false });
  let token = '';
  for await (const line of rl) {
    if (line.trim()) token = line.trim();
    if (typed) break;
  }
  rl.close();
  return token;
}

/** Registers the publisher verbs: login, key register, register, upload, release, close, status, find. */
export function registerPublisherCommands(program: Command): void {
  program.command('login')
    .description('save a store URL and API token (read from stdin) for the publisher verbs, mode 0600')
    .argument('<store-url>', 'the store, e.g. https://store.example.com')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
The token is checked against the store before it is saved in
$XDG_CONFIG_HOME/skiff/login.json (default ~/.config/skiff). SKIFF_STORE and
SKIFF_TOKEN in the environment take precedence over the saved login.

Example:
  $ skiff-store account add alice --data /srv/skiff | skiff login http://127.0.0.1:8080`)
    .action(async (url: string, opts: { json?: boolean }) => {
      const store = normaliseStoreUrl(url);
      const token = await readToken('API token: ');
      if (!token) throw new SkiffError('usage', 'no token on stdin');
      const account = await new StoreClient({ url: store, token }).account();
      const path = saveLogin({ store, token });
      output(!!opts.json, { store, account: account.name, path }, () => `logged in to ${store} as ${account.name}\n${path}`);
    });

  const key = program.commands.find((c) => c.name() === 'key')
    ?? program.command('key').description('manage publisher signing keys');
  key.command('register')
    .description('send the public half of a signing key to the store, so uploads signed with it are accepted')
    .argument('<name>', 'a key from `skiff key list`')
    .option('--store <url>', STORE_HELP)
    .option('--json', 'print the registered key as JSON')
    .action(async (name: string, opts: { store?: string; json?: boolean }) => {
      const k = loadKey(name);
      const client = clientFor(opts);
      try {
        const r = await client.registerKey(name, k.publicKey);
        output(!!opts.json, { ...r, registered: true }, () => `registered key ${name} (key id ${r.keyId}) with ${client.url}`);
      } catch (err) {
        // Registering the same key again is not an error for the publisher: say so and succeed.
        if (err instanceof StoreRequestError && err.code === 'key-exists') {
          const mine = (await client.keys()).keys.find((x) => x.keyId === k.keyId);
          if (mine) {
            output(!!opts.json, { ...mine, publicKey: k.publicKey, registered: false }, () => `key ${name} (key id ${k.keyId}) is registered already as "${mine.name}"`);
            return;
          }
        }
        throw err;
      }
    });

  program.command('register')
    .description('register an app name with the store (first come, first served)')
    .argument('<name>', 'the app name, as in meta/app.yaml')
    .option('--store <url>', STORE_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { store?: string; json?: boolean }) => {
      const r = await clientFor(opts).registerName(name);
      output(!!opts.json, r, () => `registered ${r.name} to ${r.publisher}`);
    });

  program.command('upload')
    .description('upload a bundle, signed with your key; the store assigns the next revision')
    .argument('<file>', 'a .skiff bundle (from `skiff pack`)')
    .option('--key <name>', 'signing key (default: the only key, else "default")')
    .option('--release <channel>', 'release the new revision to this channel, e.g. stable or latest/beta')
    .option('--store <url>', STORE_HELP)
    .option('--json', 'print {"revision": N, ...} as JSON')
    .addHelpText('after', `
Example:
  $ skiff upload dist/hello_1.2.skiff --release edge
  uploaded hello 1.2 (4.0 KiB): revision 3
  released hello revision 3 to latest/edge`)
    .action(async (file: string, opts: { key?: string; release?: string; store?: string; json?: boolean }) => {
      const r = await uploadBundle(clientFor(opts), file, {
        ...(opts.key ? { key: opts.key } : {}), ...(opts.release ? { release: opts.release } : {}),
        progress: !opts.json && !!process.stderr.isTTY,
      });
      const { released, ...uploaded } = r;
      output(!!opts.json, { ...uploaded, ...(released ? { released: released.channel, channels: released.channels } : {}) }, () =>
        `uploaded ${r.name} ${r.version} (${formatBytes(r.size)}): revision ${r.revision}` +
        (released ? `\n${releasedLine(released)}` : ''));
    });

  program.command('release')
    .description('release a revision to a channel: TRACK/RISK, or RISK for the latest track')
    .argument('<name>').argument('<revision>').argument('<channel>', 'stable, candidate, beta, edge, or TRACK/RISK')
    .option('--store <url>', STORE_HELP)
    .option('--json', 'print the result and the channel map as JSON')
    .action(async (name: string, rev: string, channel: string, opts: { store?: string; json?: boolean }) => {
      const r = await clientFor(opts).release(name, positiveIntArg(rev, 'revision'), channel);
      output(!!opts.json, r, () => releasedLine(r));
    });

  program.command('close')
    .description('close a channel: devices following it get nothing new from it')
    .argument('<name>').argument('<channel>')
    .option('--store <url>', STORE_HELP)
    .option('--json', 'print the result and the channel map as JSON')
    .action(async (name: string, channel: string, opts: { store?: string; json?: boolean }) => {
      const r = await clientFor(opts).close(name, channel);
      output(!!opts.json, r, () => `closed ${r.channel} of ${name}`);
    });

  program.command('status')
    .description("show an app's channel map in the store")
    .argument('<name>')
    .option('--store <url>', STORE_HELP)
    .option('--json', 'print the app info (channels and revisions) as JSON')
    .action(async (name: string, opts: { store?: string; json?: boolean }) => {
      const info = await clientFor(opts, false).info(name);
      output(!!opts.json, info, () => channelTable(info));
    });

  program.command('find')
    .description('search the store by name and summary')
    .argument('<query>')
    .option('--store <url>', STORE_HELP)
    .option('--json', 'print an array of {name, publisher, summary, version, revision}')
    .action(async (query: string, opts: { store?: string; json?: boolean }, cmd: Command) => {
      const { results } = await readOnlyClient(opts, cmd).search(query);
      output(!!opts.json, results, () => searchTable(results));
    });
}
