// The key store other verbs (upload, key register) reuse: where keys live, loading, the default.
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyError, keyIdOf, publicKeyHex, signBytes, verifyBytes } from '@skiff/bundle';
import { createKey, defaultKeyName, keysDir, listKeys, loadKey } from '../src/keystore';

const top = mkdtempSync(join(tmpdir(), 'skiff-keystore-test-'));
const saved = { XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, HOME: process.env.HOME };
let n = 0;
beforeEach(() => { process.env.XDG_CONFIG_HOME = join(top, `config-${++n}`); });
after(() => {
  rmSync(top, { recursive: true, force: true });
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
});

test('keysDir follows XDG_CONFIG_HOME, else ~/.config (a relative XDG_CONFIG_HOME is ignored)', () => {
  assert.equal(keysDir(), join(top, `config-${n}`, 'skiff', 'keys'));
  process.env.XDG_CONFIG_HOME = 'relative/path';
  process.env.HOME = join(top, 'home');
  assert.equal(keysDir(), join(top, 'home', '.config', 'skiff', 'keys'));
  delete process.env.XDG_CONFIG_HOME;
  assert.equal(keysDir(), join(top, 'home', '.config', 'skiff', 'keys'));
  process.env.HOME = saved.HOME;
});

test('loadKey returns a key that signs; defaultKeyName is the only key, else default', () => {
  assert.equal(defaultKeyName(), 'default');
  assert.deepEqual(listKeys(), []);
  const made = createKey('alice');
  assert.equal(defaultKeyName(), 'alice');
  const k = loadKey('alice');
  assert.equal(k.keyId, made.keyId);
  assert.equal(k.keyId, keyIdOf(publicKeyHex(k.keyPair)));
  assert.ok(verifyBytes(k.publicKey, Buffer.from('x'), signBytes(k.keyPair.secretKey, Buffer.from('x'))));
  createKey('bob');
  assert.equal(defaultKeyName(), 'default');
  assert.deepEqual(listKeys().map((x) => x.name), ['alice', 'bob']);
});

test('loadKey refuses a missing key, a bad name, and a key file open to others', () => {
  assert.throws(() => loadKey('nobody'), (e: unknown) => e instanceof KeyError && /skiff key create nobody/.test(e.message));
  assert.throws(() => loadKey('../etc/passwd'), (e: unknown) => e instanceof KeyError && /bad key name/.test(e.message));
  const k = createKey('open');
  chmodSync(k.path, 0o644);
  assert.throws(() => loadKey('open'), (e: unknown) => e instanceof KeyError && /open to others \(mode 0644\); run: chmod 600/.test(e.message));
});
