// The refusals of trust-refusals.test.ts, seen through the real `skiff install` (root): the command fails
// with one clear line and a non-zero exit, and nothing is installed, downloaded or mounted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MKSQUASHFS_OPTIONS } from '@skiff/bundle';
import { TrustWorld, type Published } from '../src/trust-fixture';
import { strangerKey } from '../src/trust-forge';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { cleanupRoot, mountsUnder, rootSkipReason, SKIFF, MOUNTS_PER_APP } from '../src/device-fixture';

/** The real CLI, run asynchronously: the attacker proxy lives in this process and must keep answering. */
function skiff(root: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SKIFF, '--root', root, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const skip = rootSkipReason();
let world: TrustWorld;
let hello: Published;
const roots: string[] = [];

before(async () => {
  if (skip) return;
  world = await TrustWorld.start();
  hello = await world.publish('hello', 128 * 1024);
});
after(async () => {
  for (const r of roots) cleanupRoot(r);
  await world?.close();
});

/** A device set up for the store behind the proxy (setup itself goes through the proxy too). */
async function newDevice(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'skiff-trust-dev-'));
  roots.push(root);
  const r = await skiff(root, ['setup', '--store', world.proxy.url, '--trust', world.store.rootJsonPath]);
  assert.equal(r.status, 0, r.stderr);
  return root;
}

/** `skiff install NAME` fails in one line matching `why`, and leaves no app, bundle or mount behind but `installed`. */
async function refusedInstall(name: string, why: RegExp, device?: string, installed: string[] = []): Promise<void> {
  const root = device ?? await newDevice();
  const r = await skiff(root, ['install', name]);
  assert.notEqual(r.status, 0, `install should fail: ${r.stdout}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, why);
  console.log(`# skiff install ${name}: ${lines[0]}`);
  const list = await skiff(root, ['list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((a) => a.name), installed, 'nothing more installed');
  const bundles = join(root, 'var', 'lib', 'skiff', 'bundles');
  assert.deepEqual((existsSync(bundles) ? readdirSync(bundles) : []).filter((f) => !installed.some((n) => f.startsWith(`${n}_`))), [], 'nothing downloaded');
  assert.equal(mountsUnder(root).length, installed.length * MOUNTS_PER_APP, 'nothing more mounted');
}

test('skiff install refuses a tampered bundle', { skip }, async () => {
  const app = await world.publish('tampered', 128 * 1024);
  const fd = openSync(world.targetFile(app), 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, 50_000);
  writeSync(fd, Buffer.from([byte[0]! ^ 0xff]), 0, 1, 50_000);
  closeSync(fd);
  await refusedInstall('tampered', /does not match its signed sha256.*refused/);
});

test('skiff install refuses an expired timestamp', { skip }, async () => {
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'serve', body: await world.forger.nextTimestamp({ expires: '2020-01-01T00:00:00Z' }) });
  try {
    await refusedInstall('hello', /expired/);
  } finally {
    world.proxy.clear();
  }
});

test('skiff install refuses metadata signed by an unknown key', { skip }, async () => {
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'serve', body: await world.forger.nextTimestamp({ keys: [strangerKey()] }) });
  try {
    await refusedInstall('hello', /not signed by the trusted keys/);
  } finally {
    world.proxy.clear();
  }
});

test('skiff install refuses a rollback of the timestamp', { skip }, async () => {
  const root = await newDevice();
  const old = await world.forger.fetch('timestamp.json');
  await world.publish('mover');
  const r = await skiff(root, ['install', 'mover']);
  assert.equal(r.status, 0, `the device sees the newer timestamp: ${r.stderr}`);
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'serve', body: old });
  try {
    await refusedInstall('hello', /\(rollback\): New timestamp version \d+ is less than current version \d+/, root, ['mover']);
  } finally {
    world.proxy.clear();
  }
});

test('skiff install refuses a server that streams without end (metadata and bundle)', { skip }, async () => {
  world.proxy.on('/repo/metadata/timestamp.json', { kind: 'endless' });
  try {
    await refusedInstall('hello', /more than the 16384 bytes allowed for timestamp\.json/);
  } finally {
    world.proxy.clear();
  }
  world.proxy.on(world.targetRequestPath(hello), { kind: 'endless' });
  try {
    await refusedInstall('hello', /more than the \d+ bytes signed for apps\/hello\/\d+\.skiff/);
  } finally {
    world.proxy.clear();
  }
});

test('skiff install refuses a channel map naming a revision that has no target', { skip }, async () => {
  const content = Buffer.from(JSON.stringify({ name: 'hello', channels: { 'latest/stable': { revision: 42, version: '4.2' } } }) + '\n');
  for (const [path, body] of await world.forger.release('apps/hello/channels.json', content)) world.proxy.on(path, { kind: 'serve', body });
  try {
    await refusedInstall('hello', /names revision 42 in latest\/stable, which the store has not signed; refused/);
  } finally {
    world.proxy.clear();
  }
});

/** A bundle made by mksquashfs directly (so pack's own refusals do not stop it), with `files` under a fresh folder. */
function rawBundle(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-raw-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'tree', path)), { recursive: true });
      writeFileSync(join(dir, 'tree', path), text, { mode: 0o755 });
    }
    execFileSync('mksquashfs', [join(dir, 'tree'), join(dir, 'b.skiff'), ...MKSQUASHFS_OPTIONS]);
    return readFileSync(join(dir, 'b.skiff'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('skiff install refuses a signed bundle whose own manifest or tree disagrees with the signed target', { skip }, async () => {
  const manifest = (name: string, version: string) => `name: ${name}\nversion: '${version}'\nsummary: x\napps:\n  ${name}:\n    command: bin/run\n`;
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ 'meta/app.yaml': manifest('impostor', '1.0'), 'bin/run': '#!/bin/sh\n' }, /bundle of hello revision \d+ names itself "impostor"/],
    [{ 'meta/app.yaml': manifest('hello', '6.6'), 'bin/run': '#!/bin/sh\n' }, /has version "6.6", the store signed "1.0"/],
    [{ 'meta/app.yaml': manifest('hello', '1.0'), 'bin/run': '#!/bin/sh\n', 'meta/hooks/install': '#!/bin/sh\n' },
      /refused meta\/hooks\/install: hook file present but not declared/],
  ];
  for (const [files, why] of cases) {
    // An attacker holding the online keys signs other bytes for hello's revision, keeping its custom fields.
    for (const [path, body] of await world.forger.release(`apps/hello/${hello.revision}.skiff`, rawBundle(files))) world.proxy.on(path, { kind: 'serve', body });
    try {
      await refusedInstall('hello', why);
    } finally {
      world.proxy.clear();
    }
  }
});

test('and through the same proxy, an honest install works', { skip }, async () => {
  const root = await newDevice();
  const r = await skiff(root, ['install', 'hello']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(mountsUnder(root).length, MOUNTS_PER_APP);
});

test('skiff install resumes a download cut mid-way, with a Range request', { skip }, async () => {
  const big = await world.publish('resumable', 1024 * 1024);
  const path = world.targetRequestPath(big);
  world.proxy.on(path, { kind: 'cut', afterBytes: 400_000 }, 1);
  try {
    const root = await newDevice();
    const r = await skiff(root, ['install', 'resumable']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(world.proxy.requestsFor(path).map((q) => q.headers.range), [undefined, 'bytes=400000-']);
    assert.equal(mountsUnder(root).length, MOUNTS_PER_APP);
  } finally {
    world.proxy.clear();
  }
});

const held = 300_000;

/** Publishes a 1 MB app whose first download the proxy holds open after `held` bytes. */
async function publishHeld(name: string): Promise<{ path: string; partial(root: string): string }> {
  const big = await world.publish(name, 1024 * 1024);
  const path = world.targetRequestPath(big);
  world.proxy.on(path, { kind: 'hold', afterBytes: held }, 1);
  return { path, partial: (root) => join(root, 'var', 'lib', 'skiff', 'bundles', `${name}_${big.revision}.skiff.partial`) };
}

/** Waits until the held install has written all the proxy lets through. */
async function untilHeld(partial: string): Promise<void> {
  for (let i = 0; i < 400 && !(existsSync(partial) && statSync(partial).size >= held); i++) await sleep(25);
  assert.equal(statSync(partial).size, held, 'the first attempt wrote what the link let through');
}

test('an install killed mid-download resumes in the next command, with a Range request', { skip }, async () => {
  const { path, partial } = await publishHeld('killedmidway');
  try {
    const root = await newDevice();
    const first = spawn(process.execPath, [SKIFF, '--root', root, 'install', 'killedmidway'], { stdio: 'ignore' });
    await untilHeld(partial(root));
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    const r = await skiff(root, ['install', 'killedmidway']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(world.proxy.requestsFor(path).map((q) => q.headers.range), [undefined, `bytes=${held}-`]);
    assert.equal(mountsUnder(root).length, MOUNTS_PER_APP);
    assert.deepEqual(readdirSync(join(root, 'var', 'lib', 'skiff', 'partials')), [], 'the kept partial was used up');
  } finally {
    world.proxy.clear();
  }
});

test('skiff abort from another process stops an install mid-download: undone, the bytes kept to resume', { skip }, async () => {
  const { path, partial } = await publishHeld('aborted');
  try {
    const root = await newDevice();
    const first = skiff(root, ['install', 'aborted']);
    await untilHeld(partial(root));
    const changes = await skiff(root, ['changes', '--json']);
    const doing = (JSON.parse(changes.stdout) as { id: number; status: string }[]).filter((c) => c.status === 'doing');
    assert.equal(doing.length, 1, changes.stdout);
    const abort = await skiff(root, ['abort', String(doing[0]!.id)]);
    assert.equal(abort.status, 0, abort.stderr);
    assert.match(abort.stdout, /abort requested/);
    const r = await first; // long before the 30 s stall timeout: the running task saw the abort
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), /^skiff: Install aborted .* failed and was undone: aborted$/);
    assert.equal(mountsUnder(root).length, 0);
    assert.deepEqual(readdirSync(join(root, 'var', 'lib', 'skiff', 'partials')).length, 1, 'the received bytes are kept');
    const again = await skiff(root, ['install', 'aborted']);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(world.proxy.requestsFor(path).map((q) => q.headers.range), [undefined, `bytes=${held}-`]);
  } finally {
    world.proxy.clear();
  }
});

test('skiff install refuses a snapshot that does not match the timestamp (mix-and-match)', { skip }, async () => {
  const current = await world.forger.snapshot();
  const older = await world.forger.snapshot(current.md.signed.version - 1);
  world.proxy.on(`/repo/metadata/${current.md.signed.version}.snapshot.json`, { kind: 'serve', body: older.bytes });
  try {
    await refusedInstall('hello', /\(mix-and-match\): snapshot\.json: Expected (hash|length)/);
  } finally {
    world.proxy.clear();
  }
});
