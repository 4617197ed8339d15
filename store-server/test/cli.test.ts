import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '../src/services/accounts';
import { BIN_PREFIX, openStore } from '../src/index';

const BIN = join(__dirname, '..', '..', 'bin', 'skiff-store');
const work = mkdtempSync(join(tmpdir(), 'skiff-store-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, last: r.stdout.trimEnd().split('\n').pop()! };
}

test('skiff-store --help runs', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /skiff-store/);
  for (const verb of ['init', 'serve', 'account']) assert.match(r.stdout, new RegExp(verb));
});

test('init: keys 0600, WAL database, version 1 of every role; the last line is the root to trust', () => {
  const data = join(work, 'store');
  const r = run(['init', '--data', data, '--bin-bits', '3']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.last, join(data, 'repo', 'metadata', '1.root.json'));
  const root = JSON.parse(readFileSync(r.last, 'utf8'));
  assert.equal(root.signed._type, 'root');
  assert.equal(root.signed.version, 1);
  assert.equal(root.signed.consistent_snapshot, true);
  for (const role of ['root', 'targets', 'snapshot', 'timestamp', 'bins']) {
    assert.equal(statSync(join(data, 'keys', `${role}.json`)).mode & 0o777, 0o600, role);
  }
  assert.equal(statSync(join(data, 'keys')).mode & 0o777, 0o700);
  const files = readdirSync(join(data, 'repo', 'metadata')).sort();
  const versioned = ['1.snapshot.json', '1.targets.json', ...Array.from({ length: 8 }, (_, i) => `1.${BIN_PREFIX}-${i}.json`)];
  assert.deepEqual(files, ['1.root.json', ...versioned, ...versioned.map((f) => `${f}.gz`), 'root.json', 'timestamp.json'].sort());
  const ctx = openStore(data);
  assert.equal(ctx.db.pragma('journal_mode', { simple: true }), 'wal');
  ctx.close();

  const again = run(['init', '--data', data]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a store/);
});

test('account add prints the token once, last; only its hash is stored; list shows the account', () => {
  const data = join(work, 'store');
  const r = run(['account', 'add', 'alice', '--data', data]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.last, /^skiff_[A-Za-z0-9_-]{43}$/);
  const ctx = openStore(data);
  const row = ctx.db.prepare('SELECT * FROM accounts WHERE name = ?').get('alice') as Record<string, string>;
  ctx.close();
  assert.equal(row.token_sha256, hashToken(r.last));
  assert.ok(!Object.values(row).includes(r.last), 'the token itself is not stored');

  const j = run(['account', 'add', 'bob', '--json'], { SKIFF_STORE_DATA: data });
  assert.equal(j.status, 0, j.stderr);
  assert.equal(JSON.parse(j.last).name, 'bob');

  const dup = run(['account', 'add', 'alice', '--data', data]);
  assert.equal(dup.status, 1);
  assert.match(dup.stderr, /exists already/);

  const list = run(['account', 'list', '--data', data, '--json']);
  assert.deepEqual(JSON.parse(list.stdout).map((a: { name: string }) => a.name), ['alice', 'bob']);
});

test('without --data (or SKIFF_STORE_DATA): a usage error, exit 2; an uninitialised folder: exit 1', () => {
  const env = { SKIFF_STORE_DATA: '' };
  const r = run(['account', 'list'], env);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--data/);
  const empty = run(['account', 'list', '--data', join(work, 'nothing')]);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /holds no store/);
  const badListen = run(['serve', '--data', join(work, 'store'), '--listen', 'nonsense']);
  assert.equal(badListen.status, 2);
});
