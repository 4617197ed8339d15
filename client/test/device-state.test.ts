import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { openDevice } from '../src/device';
import { APP_UID_BASE } from '../src/device/state';
import { MIGRATIONS } from '../src/device/schema';
import { DeviceLock } from '../src/device/lock';
import type { Manifest } from '@skiff/bundle';

const manifest: Manifest = { name: 'hello', version: '1.0', summary: 's', apps: { hello: { command: 'bin/hello', plugs: ['network', 'camera'] } } };

function tempRoot(): string { return mkdtempSync(join(tmpdir(), 'skiff-state-')); }

test('state: schema, WAL, synchronous FULL, integrity', () => {
  const root = tempRoot();
  try {
    const dev = openDevice(root);
    assert.equal(dev.state.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(dev.state.db.pragma('synchronous', { simple: true }), 2);
    assert.equal(dev.state.integrityCheck(), 'ok');
    dev.close();
    // Reopening applies no migration twice.
    const again = openDevice(root);
    assert.equal(again.state.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    again.close();
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('state: uids are allocated per app from the base and kept', () => {
  const root = tempRoot();
  try {
    const dev = openDevice(root);
    assert.equal(dev.state.uidOf('a'), APP_UID_BASE);
    assert.equal(dev.state.uidOf('b'), APP_UID_BASE + 1);
    assert.equal(dev.state.uidOf('a'), APP_UID_BASE);
    dev.close();
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('state: refresh.retain defaults to 2 and refuses values outside 2-20', () => {
  const root = tempRoot();
  try {
    const dev = openDevice(root);
    assert.equal(dev.state.retain(), 2);
    dev.state.configSet('refresh.retain', '5');
    assert.equal(dev.state.retain(), 5);
    assert.throws(() => dev.state.configSet('refresh.retain', '1'), { code: 'config-invalid' });
    assert.throws(() => dev.state.configSet('refresh.retain', '21'), { code: 'config-invalid' });
    assert.throws(() => dev.state.configSet('refresh.retain', 'x'), { code: 'config-invalid' });
    assert.throws(() => dev.state.configSet('nope', '1'), { code: 'config-invalid' });
    dev.close();
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('appContext and grants: not-installed, then network auto-connected, others manual', () => {
  const root = tempRoot();
  try {
    const dev = openDevice(root);
    assert.throws(() => dev.appContext('hello'), { code: 'not-installed' });
    dev.state.tx(() => {
      dev.state.putRevision({ name: 'hello', rev: 3, version: '1.0', sha256: 'x', size: 1, dangerous: false, devmode: false, channel: 'latest/stable', manifest });
      dev.state.putApp('hello', 'latest/stable', 3);
    });
    const ctx = dev.appContext('hello');
    assert.deepEqual([ctx.name, ctx.revision, ctx.version, ctx.uid, ctx.gid, ctx.grants], ['hello', 3, '1.0', APP_UID_BASE, APP_UID_BASE, ['network']]);
    assert.throws(() => dev.appContext('hello', 9), { code: 'not-installed' });
    assert.deepEqual(dev.listGrants('hello'), [
      { app: 'hello', plug: 'camera', granted: false, auto: false },
      { app: 'hello', plug: 'network', granted: true, auto: true },
    ]);
    assert.throws(() => dev.setGrant('hello', 'audio', true), { code: 'plug-not-found' });
    dev.close();
  } finally { rmSync(root, { recursive: true, force: true }); }
});

const holdLock = (root: string): string => `
  const { openDevice } = require(${JSON.stringify(join(__dirname, '..', 'src', 'device'))});
  const { DeviceLock } = require(${JSON.stringify(join(__dirname, '..', 'src', 'device', 'lock'))});
  const dev = openDevice(${JSON.stringify(root)});
  dev.state.db.prepare("INSERT INTO changes (id, kind, summary, status, spawn_time) VALUES (7, 'install', 'Install hello', 'doing', 'now')").run();
  DeviceLock.acquire(dev.state, { wait: false }).then((l) => { l.setChange(7); process.stdout.write('held\\n'); setInterval(() => {}, 1000); });`;

test('lock: --no-wait names the change that holds it; a dead holder is taken over', async () => {
  const root = tempRoot();
  const child = spawn(process.execPath, ['-e', holdLock(root)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const dev = openDevice(root);
    await assert.rejects(DeviceLock.acquire(dev.state, { wait: false }), (e: Error & { code?: string }) =>
      e.code === 'change-in-progress' && /change 7 \("Install hello"\)/.test(e.message));
    await assert.rejects(DeviceLock.acquire(dev.state, { wait: true, waitMs: 300 }), { code: 'change-in-progress' });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const lock = await DeviceLock.acquire(dev.state, { wait: false });
    assert.equal(DeviceLock.holder(dev.state), null);
    lock.release();
    dev.close();
  } finally {
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});

test('lock: a waiting command gets the lock when the holder exits', async () => {
  const root = tempRoot();
  const child = spawn(process.execPath, ['-e', holdLock(root).replace('setInterval(() => {}, 1000)', 'setTimeout(() => { l.release(); process.exit(0); }, 500)')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const dev = openDevice(root);
    const t0 = Date.now();
    const lock = await DeviceLock.acquire(dev.state, { wait: true });
    assert.ok(Date.now() - t0 >= 200, 'waited for the holder');
    lock.release();
    dev.close();
  } finally {
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});

test('state.db and its WAL files are root\'s alone (0600), and an older 0644 one is closed on open', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-state-mode-'));
  try {
    const db = join(root, 'var/lib/skiff/state.db');
    const modes = () => [db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f)).map((f) => statSync(f).mode & 0o777);
    let d = openDevice(root);
    d.state.tx(() => d.state.configSet('refresh.retain', '3'));
    assert.deepEqual(modes(), [0o600, 0o600, 0o600]);
    d.close();
    chmodSync(db, 0o644);
    d = openDevice(root);
    assert.equal(statSync(db).mode & 0o777, 0o600);
    d.close();
  } finally { rmSync(root, { recursive: true, force: true }); }
});
