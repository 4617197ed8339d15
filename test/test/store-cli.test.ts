// The publisher's whole path through the real CLIs against a real store on loopback:
// skiff-store init/account/serve, then skiff key create, login, key register, register, upload, release, close, status, find.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startStore, runStoreCli, type RunningStore } from '../src/store';
import { packTestBundle } from '../src/store-fixtures';

const SKIFF = join(dirname(require.resolve('@skiff/client/package.json')), 'bin', 'skiff');
let store: RunningStore;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  store = await startStore({ account: 'alice' });
  work = mkdtempSync(join(tmpdir(), 'skiff-store-cli-'));
  const { SKIFF_STORE: _s, SKIFF_TOKEN: _t, ...rest } = process.env;
  env = { ...rest, XDG_CONFIG_HOME: join(work, 'config') };
});
after(async () => {
  await store?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function skiff(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [SKIFF, ...args], { encoding: 'utf8', input: opts.input ?? '', env: { ...env, ...opts.env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}
function ok(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = skiff(args, opts);
  assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}

test('a publisher logs in, registers a key and a name, uploads, releases, closes', async () => {
  ok(['key', 'create', 'default']);
  const login = ok(['login', store.url], { input: `${store.token}\n` });
  assert.match(login.stdout, /logged in to .* as alice/);
  const loginFile = login.stdout.trim().split('\n').pop()!;
  assert.equal(statSync(loginFile).mode & 0o777, 0o600);

  assert.match(ok(['key', 'register', 'default']).stdout, /registered key default/);
  assert.match(ok(['key', 'register', 'default']).stdout, /registered already/, 'registering twice is harmless');
  assert.match(ok(['register', 'hello']).stdout, /registered hello to alice/);

  const b1 = await packTestBundle(work, { name: 'hello', version: '1.0' });
  const up = ok(['upload', b1.path, '--release', 'stable', '--json']).json();
  assert.equal(up.revision, 1);
  assert.equal(up.sha256, b1.sha256);
  assert.equal(up.released, 'latest/stable');

  const b2 = await packTestBundle(work, { name: 'hello', version: '1.1' });
  const human = ok(['upload', b2.path]).stdout;
  assert.match(human, /revision 2/);
  assert.match(ok(['release', 'hello', '2', 'beta']).stdout, /released hello revision 2 to latest\/beta/);
  ok(['release', 'hello', '2', '2.0/edge']);

  const status = ok(['status', 'hello', '--json']).json();
  assert.deepEqual(Object.fromEntries(Object.entries(status.channels).map(([c, v]) => [c, (v as { revision: number }).revision])),
    { 'latest/stable': 1, 'latest/beta': 2, '2.0/edge': 2 });
  const table = ok(['status', 'hello']).stdout;
  assert.match(table, /latest\/stable\s+1\s+1\.0/);
  assert.match(table, /latest\/candidate\s+-/);

  assert.match(ok(['close', 'hello', 'beta']).stdout, /closed latest\/beta of hello/);
  assert.equal(ok(['status', 'hello', '--json']).json().channels['latest/beta'], undefined);

  const found = ok(['find', 'hell', '--json']).json();
  assert.deepEqual(found.map((r: { name: string; version: string }) => [r.name, r.version]), [['hello', '1.0']]);
});

test('refusals reach the publisher as one clear line and a non-zero exit; --json gives the code', () => {
  const bad = skiff(['release', 'hello', '99', 'stable']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^skiff: the store refused: "hello" has no revision 99 \(404\)\n$/);
  const badJson = skiff(['release', 'hello', '1', 'sideways', '--json']);
  assert.equal(badJson.status, 1);
  assert.equal(badJson.json().error.code, 'channel-invalid');
  const notMine = skiff(['register', 'hello']);
  assert.match(notMine.stderr, /registered already/);
});

test("another account's token (SKIFF_TOKEN) cannot upload or release this app", async () => {
  const bobToken = runStoreCli(['account', 'add', 'bob', '--data', store.dataDir]).pop()!;
  const bobEnv = { SKIFF_TOKEN: bobToken, SKIFF_STORE: store.url };
  ok(['key', 'create', 'bob'], { env: bobEnv });
  ok(['key', 'register', 'bob'], { env: bobEnv });
  const b = await packTestBundle(work, { name: 'hello', version: '6.6' });
  const blobsBefore = readdirSync(join(store.dataDir, 'blobs')).sort();
  const up = skiff(['upload', b.path, '--key', 'bob', '--json'], { env: bobEnv });
  assert.equal(up.status, 1);
  assert.equal(up.json().error.code, 'forbidden');
  assert.match(up.json().error.message, /not registered to your account bob/);
  const rel = skiff(['release', 'hello', '1', 'edge', '--json'], { env: bobEnv });
  assert.equal(rel.json().error.code, 'forbidden');
  assert.deepEqual(readdirSync(join(store.dataDir, 'blobs')).sort(), blobsBefore);
});

test('without a login the publisher verbs say how to log in', () => {
  const r = skiff(['register', 'x'], { env: { XDG_CONFIG_HOME: join(work, 'empty') } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /skiff login/);
});
