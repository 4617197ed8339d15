import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// Both commands share one contract for a command line they cannot parse (bundle/src/usage.ts).
const bins = {
  skiff: join(__dirname, '..', '..', 'bin', 'skiff'),
  'skiff-store': join(__dirname, '..', '..', '..', 'store-server', 'bin', 'skiff-store'),
};
const run = (bin: keyof typeof bins, ...args: string[]) => spawnSync(process.execPath, [bins[bin], ...args], { encoding: 'utf8' });

test('a mistyped verb: one line with "did you mean", exit 2, in both commands', () => {
  const r = run('skiff', 'instal', 'hello');
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "skiff: unknown command 'instal' (did you mean install?); see skiff --help\n");
  assert.equal(r.stdout, '');
  const s = run('skiff-store', 'serv');
  assert.equal(s.status, 2);
  assert.equal(s.stderr, "skiff-store: unknown command 'serv' (did you mean serve?); see skiff-store --help\n");
});

test('an unknown option or a missing argument: one line, exit 2', () => {
  const opt = run('skiff', 'install', '--bogus', 'hello');
  assert.equal(opt.status, 2);
  assert.equal(opt.stderr, "skiff: unknown option '--bogus'; see skiff --help\n");
  const arg = run('skiff', 'install');
  assert.equal(arg.status, 2);
  assert.equal(arg.stderr, "skiff: missing required argument 'name-or-file'; see skiff --help\n");
  const store = run('skiff-store', 'account', 'add');
  assert.equal(store.status, 2);
  assert.match(store.stderr, /^skiff-store: missing required argument 'name'; see skiff-store --help\n$/);
});

test('--version and --help exit 0 in both commands; no verb at all prints the help and exits 2', () => {
  for (const bin of ['skiff', 'skiff-store'] as const) {
    const v = run(bin, '--version');
    assert.equal(v.status, 0, `${bin} --version: ${v.stderr}`);
    assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal(run(bin, '--help').status, 0);
  }
  const none = run('skiff');
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^Usage: skiff /);
});

test('a skiff run from a checkout has no default device root: a device verb without --root or SKIFF_ROOT is refused', () => {
  const env = { ...process.env };
  delete env.SKIFF_ROOT;
  delete env.SKIFF_DEFAULT_ROOT;
  for (const args of [['list'], ['install', 'hello'], ['run', 'hello']]) {
    const r = spawnSync(process.execPath, [bins.skiff, ...args], { encoding: 'utf8', env });
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, 'skiff: which device? pass --root DIR or set SKIFF_ROOT (an installed skiff defaults to /)\n');
  }
});

test('a revision or change id must be a whole number from 1: a usage error, exit 2, in publisher and device verbs alike', { skip: process.getuid?.() !== 0 && 'device verbs need root' }, (t) => {
  const { mkdtempSync, rmSync } = require('node:fs') as typeof import('node:fs');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ids-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The store is never reached: the revision is refused first.
  const env = { ...process.env, XDG_CONFIG_HOME: dir, SKIFF_STORE: 'http://127.0.0.1:9', SKIFF_TOKEN: 'x' };
  const cases: Array<[string[], string]> = [
    [['release', 'hello', '0', 'stable'], 'skiff: revision must be a positive integer, not "0"\n'],
    [['--root', join(dir, 'root'), 'tasks', '0'], 'skiff: change id must be a positive integer, not "0"\n'],
    [['--root', join(dir, 'root'), 'revert', 'hello', '--revision', '1.5'], 'skiff: --revision must be a positive integer, not "1.5"\n'],
  ];
  for (const [args, stderr] of cases) {
    const r = spawnSync(process.execPath, [bins.skiff, ...args], { encoding: 'utf8', env });
    assert.equal(r.stderr, stderr, args.join(' '));
    assert.equal(r.status, 2, args.join(' '));
  }
});
