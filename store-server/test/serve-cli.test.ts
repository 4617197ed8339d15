// `skiff-store serve` refusing to start: each cause in one line, before anything is locked, listened on or re-signed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', 'bin', 'skiff-store');
const work = mkdtempSync(join(tmpdir(), 'skiff-serve-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function initStore(name: string): string {
  const data = join(work, name);
  const r = run(['init', '--data', data, '--bin-bits', '1']);
  assert.equal(r.status, 0, r.stderr);
  return data;
}

test('serve on a folder that holds no store: one line naming skiff-store init, nothing created', () => {
  const absent = join(work, 'absent');
  const r = run(['serve', '--data', absent, '--listen', '127.0.0.1:0']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `skiff-store: ${absent} holds no store: run \`skiff-store init --data ${absent}\`\n`);
  assert.equal(existsSync(absent), false);
  const empty = join(work, 'empty');
  mkdirSync(empty);
  const e = run(['serve', '--data', empty, '--listen', '127.0.0.1:0']);
  assert.equal(e.status, 1);
  assert.match(e.stderr, /^skiff-store: .* holds no store: run `skiff-store init --data .*`\n$/);
  assert.deepEqual(readdirSync(empty), [], 'no serve.pid left behind');
});

test('serve on a busy address: one line naming it, exit 1, and the timestamp is not re-signed', async (t) => {
  const data = initStore('busy');
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const address = `127.0.0.1:${(busy.address() as AddressInfo).port}`;
  const timestamp = join(data, 'repo', 'metadata', 'timestamp.json');
  const before = readFileSync(timestamp);
  // A lifetime shorter than the current timestamp's would make the server re-sign it at start.
  const r = run(['serve', '--data', data, '--listen', address, '--timestamp-expiry', '3600', '--timestamp-margin', '60']);
  assert.equal(r.status, 1);
  assert.deepEqual(readFileSync(timestamp), before, 'timestamp.json untouched');
  assert.equal(r.stderr, `skiff-store: cannot listen on ${address}: the address is in use (another server?); choose another with --listen HOST:PORT\n`);
  assert.equal(existsSync(join(data, 'serve.pid')), false, 'the data folder is unlocked');
});

test('serve --log-level loud: a usage error naming the levels, exit 2, nothing started', () => {
  const data = initStore('levels');
  const r = run(['serve', '--data', data, '--listen', '127.0.0.1:0', '--log-level', 'loud']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'skiff-store: bad --log-level "loud": expected one of trace, debug, info, warn, error, fatal, silent\n');
  assert.equal(existsSync(join(data, 'serve.pid')), false);
});
