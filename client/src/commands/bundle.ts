import type { Command } from 'commander';
import { findRefusals, inspectBundle, packBundle, type BundleEntry, type BundleInfo, type Manifest } from '@skiff/bundle';
import { output } from '../options';
import { createKey, listKeys } from '../keystore';
import { formatBytes, formatTable } from '../format';

/** Registers the publisher's bundle verbs: pack, inspect, key create, key list. */
export function registerBundleCommands(program: Command): void {
  program.command('pack')
    .description('pack a folder with meta/app.yaml into a reproducible bundle <name>_<version>.skiff')
    .argument('<dir>', 'the folder to pack')
    .option('-o, --output <dir>', 'folder to write the bundle to', '.')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
The same folder always gives the same bytes. Refused before anything is written:
an invalid manifest, setuid/setgid files, device nodes, FIFOs, sockets, symlinks
leaving the folder, and commands or hooks that are missing or not executable.
The bundle's path is the last line printed.

Example:
  $ skiff pack examples/hello -o dist
  packed hello 1.2: 2 apps, 4.0 KiB, sha256 ea16...
  /home/me/skiff/dist/hello_1.2.skiff`)
    .action(async (dir: string, opts: { output: string; json?: boolean }) => {
      const r = await packBundle(dir, opts.output);
      output(!!opts.json, r, () =>
        `packed ${r.manifest.name} ${r.manifest.version}: ${plural(Object.keys(r.manifest.apps).length, 'app')}, ${formatBytes(r.size)}, sha256 ${r.sha256}\n${r.path}`);
    });

  program.command('inspect')
    .description("show a bundle's manifest and files, without mounting it, and whether the store would accept it")
    .argument('<file>', 'a .skiff bundle')
    .option('--json', 'print the manifest, files, size, sha256, valid and refusals as JSON')
    .addHelpText('after', `
Example:
  $ skiff inspect dist/hello_1.2.skiff
  $ skiff inspect dist/hello_1.2.skiff --json`)
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await inspectBundle(file);
      const refusals = findRefusals(info.manifest, info.files);
      output(!!opts.json, { ...info, valid: refusals.length === 0, refusals }, () => describeBundle(info, refusals));
    });

  // A subcommand group: other verbs (`skiff key register`) are added to it elsewhere.
  const key = program.command('key')
    .description('manage publisher signing keys (ed25519), kept in $XDG_CONFIG_HOME/skiff/keys (default ~/.config/skiff/keys)')
    .addHelpText('after', `
Example:
  $ skiff key create default
  $ skiff key list`);

  key.command('create')
    .description('create a new signing key pair, saved with mode 0600')
    .argument('<name>', 'key name: lowercase letters, digits and dashes')
    .option('--json', 'print the new key as JSON')
    .addHelpText('after', `
Example:
  $ skiff key create default`)
    .action((name: string, opts: { json?: boolean }) => {
      const k = createKey(name);
      output(!!opts.json, k, () => `created key ${k.name}\nkey id: ${k.keyId}\npublic: ${k.publicKey}\n${k.path}`);
    });

  key.command('list')
    .description('list signing keys with their TUF key ids')
    .option('--json', 'print an array of {name, keyId, publicKey, path}')
    .addHelpText('after', `
Example:
  $ skiff key list
  $ skiff key list --json`)
    .action((opts: { json?: boolean }) => {
      const keys = listKeys();
      output(!!opts.json, keys, () => keys.length === 0
        ? 'no keys yet; create one with: skiff key create default'
        : formatTable(['NAME', 'KEY ID', 'PATH'], keys.map((k) => [k.name, k.keyId, k.path])));
    });
}

function describeBundle(info: BundleInfo, refusals: { path: string; reason: string }[]): string {
  const m: Manifest = info.manifest;
  const apps = Object.entries(m.apps).map(([name, a]) =>
    `${name === m.name ? name : `${m.name}.${name}`} (${a.command}${a.daemon ? `, daemon ${a.daemon}` : ''}${a.plugs?.length ? `, plugs: ${a.plugs.join(' ')}` : ''})`);
  const res = m.resources ?? {};
  const rows: [string, string][] = [
    ['name', m.name], ['version', m.version], ['summary', m.summary],
    ['apps', apps.join(', ')],
    ['hooks', Object.keys(m.hooks ?? {}).join(', ') || '-'],
    ['plugs', m.plugs?.join(' ') || '-'],
    ['resources', Object.entries(res).map(([k, v]) => `${k} ${String(v)}`).join(', ') || '-'],
    ['size', `${info.size} bytes (${formatBytes(info.size)})`],
    ['sha256', info.sha256],
    ['valid', refusals.length === 0 ? 'yes' : `no: ${refusals.map((r) => `${r.path}: ${r.reason}`).join('; ')}`],
  ];
  const files = info.files.map((f) => `  ${modeString(f)} ${String(f.size).padStart(10)}  ${f.path}${f.linkTarget !== undefined ? ` -> ${f.linkTarget}` : ''}`);
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(11)}${v}`).join('\n')}\nfiles:\n${files.join('\n')}`;
}

function modeString(f: BundleEntry): string {
  const kind = { file: '-', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', socket: 's' }[f.type];
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (f.mode & (0o400 >> i) ? c : '-'));
  if (f.mode & 0o4000) bits[2] = bits[2] === 'x' ? 's' : 'S';
  if (f.mode & 0o2000) bits[5] = bits[5] === 'x' ? 's' : 'S';
  if (f.mode & 0o1000) bits[8] = bits[8] === 'x' ? 't' : 'T';
  return kind + bits.join('');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

