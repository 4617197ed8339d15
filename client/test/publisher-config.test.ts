import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHITECTURES, SkiffError } from '@skiff/bundle';
import { resolveLogin, saveLogin, loginPath, normaliseStoreUrl } from '../src/publisher/config';
import { NotLoggedInError } from '../src/publisher/errors';
import { channelTable, releasedLine, searchTable } from '../src/publisher/status';
import { formatBytes } from '../src/format';

let dir: string;
const saved = { ...process.env };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-publisher-config-'));
  process.env.XDG_CONFIG_HOME = dir;
  delete process.env.SKIFF_STORE;
  delete process.env.SKIFF_TOKEN;
});
afterEach(() => {
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

test('login is saved 0600 under $XDG_CONFIG_HOME/skiff and read back', () => {
  const path = saveLogin({ store: 'http://127.0.0.1:8080/', token: 'skiff_abc' });
  assert.equal(path, join(dir, 'skiff', 'login.json'));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(resolveLogin(), { store: 'http://127.0.0.1:8080', token: 'skiff_abc' });
});

test('SKIFF_STORE and SKIFF_TOKEN win over the saved login; --store wins over both', () => {
  saveLogin({ store: 'http://saved.example', token: 'saved' });
  process.env.SKIFF_STORE = 'https://env.example';
  process.env.SKIFF_TOKEN = 'env';
  assert.deepEqual(resolveLogin(), { store: 'https://env.example', token: 'env' });
  assert.deepEqual(resolveLogin({ store: 'http://flag.example' }), { store: 'http://flag.example', token: 'env' });
});

test('without a login: NotLoggedInError naming `skiff login`; read-only verbs need only the URL', () => {
  assert.throws(() => resolveLogin(), (e: unknown) => e instanceof NotLoggedInError && /skiff login/.test(e.message));
  process.env.SKIFF_STORE = 'http://only.example';
  assert.throws(() => resolveLogin(), NotLoggedInError);
  assert.deepEqual(resolveLogin({ needToken: false }), { store: 'http://only.example' });
});

test('a login file open to others is refused, as ssh does', () => {
  saveLogin({ store: 'http://x.example', token: 't' });
  chmodSync(loginPath(), 0o644);
  assert.throws(() => resolveLogin(), (e: unknown) => e instanceof SkiffError && e.code === 'login-insecure');
});

test('a corrupt login file is reported, not silently ignored', () => {
  mkdirSync(join(dir, 'skiff'), { recursive: true });
  writeFileSync(loginPath(), '{nope', { mode: 0o600 });
  assert.throws(() => resolveLogin(), (e: unknown) => e instanceof SkiffError && e.code === 'login-invalid');
});

test('store URLs: http(s) only, no credentials, no trailing slash', () => {
  assert.equal(normaliseStoreUrl('https://store.example.com/'), 'https://store.example.com');
  assert.equal(normaliseStoreUrl('http://127.0.0.1:8080/prefix/'), 'http://127.0.0.1:8080/prefix');
  for (const bad of ['ftp://x', 'not a url', 'http://user:pw@x.example']) {
    assert.throws(() => normaliseStoreUrl(bad), (e: unknown) => e instanceof SkiffError && e.code === 'usage', bad);
  }
});

test('the status table lists every risk of each track, closed ones as -', () => {
  const text = channelTable({
    name: 'hello', publisher: 'alice', summary: 'Says hello', created: '',
    channels: { 'latest/stable': { revision: 3, version: '1.2', released: 'r' }, '2.0/edge': { revision: 4, version: '2.0' } },
    revisions: [],
  });
  const lines = text.split('\n');
  assert.match(lines[0]!, /^hello by alice: Says hello$/);
  assert.deepEqual(lines.slice(3).map((l) => l.split(/\s+/).slice(0, 3).join(' ')), [
    'latest/stable 3 1.2', 'latest/candidate - -', 'latest/beta - -', 'latest/edge - -',
    '2.0/stable - -', '2.0/candidate - -', '2.0/beta - -', '2.0/edge 4 2.0',
  ]);
  const split = channelTable({
    name: 'multi', publisher: 'alice', summary: 's', created: '', revisions: [],
    channels: { 'latest/beta': { revision: 5, version: '2.0' } },
    architectures: {
      amd64: { 'latest/stable': { revision: 1, version: '1.0' }, 'latest/beta': { revision: 5, version: '2.0' } },
      arm64: { 'latest/stable': { revision: 2, version: '1.0' }, 'latest/beta': { revision: 5, version: '2.0' } },
    },
  }).split('\n');
  assert.match(split[2]!, /^CHANNEL\s+ARCH\s+REVISION/);
  assert.deepEqual(split.slice(3).map((l) => l.split(/\s+/).slice(0, 3).join(' ')), [
    'latest/stable amd64 1', 'latest/stable arm64 2', 'latest/candidate - -', 'latest/beta all 5', 'latest/edge - -',
  ]);
  const rel = { name: 'multi', channel: 'latest/stable', revision: 2, channels: {} };
  assert.equal(releasedLine({ ...rel, released: ['arm64', 'riscv64'] }), 'released multi revision 2 to latest/stable for arm64, riscv64');
  assert.equal(releasedLine({ ...rel, released: [...ARCHITECTURES] }), 'released multi revision 2 to latest/stable');
  assert.equal(releasedLine(rel), 'released multi revision 2 to latest/stable', 'a store from before architectures');
  assert.equal(searchTable([]), 'no matching apps');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(512), '512 B');
});
