import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KeyError, canonicalJson, generateKeyPair, keyIdOf, loadKeyPair, publicKeyHex, saveKeyPair,
  signBytes, tufPublicKey, verifyBytes,
} from '../src';
import { tempDir } from './helpers';
import nacl from 'tweetnacl';

test('saveKeyPair writes mode 0600 even under a permissive umask, atomically, and loadKeyPair reads it back', () => {
  const dir = join(tempDir(), 'keys');
  const file = join(dir, 'me.json');
  const kp = generateKeyPair();
  const old = process.umask(0);
  try {
    saveKeyPair(file, kp);
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(dir), ['me.json'], 'no temporary file left');
  const back = loadKeyPair(file);
  assert.equal(publicKeyHex(back), publicKeyHex(kp));
  assert.deepEqual(Buffer.from(back.secretKey), Buffer.from(kp.secretKey));
});

test('the key id is the sha256 of the canonical JSON of the TUF key, and stable', () => {
  const publicHex = 'a'.repeat(64);
  const expected = createHash('sha256')
    .update(`{"keytype":"ed25519","keyval":{"public":"${publicHex}"},"scheme":"ed25519"}`).digest('hex');
  assert.equal(keyIdOf(publicHex), expected);
  assert.equal(keyIdOf(publicHex), keyIdOf(publicHex));
  assert.deepEqual(tufPublicKey(publicHex), { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } });
  const kp = generateKeyPair();
  const file = join(tempDir(), 'k.json');
  saveKeyPair(file, kp);
  assert.equal(keyIdOf(publicKeyHex(loadKeyPair(file))), keyIdOf(publicKeyHex(kp)));
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).keyid, keyIdOf(publicKeyHex(kp)));
  assert.throws(() => keyIdOf('ABC'), KeyError);
});

test('signatures verify, also with Node crypto (as tuf-js does), and tampering is caught', () => {
  const kp = generateKeyPair();
  const bytes = canonicalJson({ b: 1, a: 'x' });
  const sig = signBytes(kp.secretKey, bytes);
  assert.match(sig, /^[0-9a-f]{128}$/);
  assert.equal(verifyBytes(publicKeyHex(kp), bytes, sig), true);
  assert.equal(verifyBytes(publicKeyHex(kp), Buffer.concat([bytes, Buffer.from(' ')]), sig), false);
  assert.equal(verifyBytes(publicKeyHex(generateKeyPair()), bytes, sig), false);
  assert.equal(verifyBytes(publicKeyHex(kp), bytes, 'zz'), false);
  // An ed25519 public key in SPKI DER is a fixed 12-byte prefix and the 32 raw bytes.
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(kp.publicKey)]);
  const nodeKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  assert.equal(verify(null, bytes, nodeKey, Buffer.from(sig, 'hex')), true);
});

test('signBytes (OpenSSL) gives the very bytes tweetnacl gives, so old and new signatures agree', () => {
  const kp = generateKeyPair();
  for (const size of [0, 1, 1000, 200_000]) {
    const bytes = Buffer.alloc(size, size % 251);
    assert.equal(signBytes(kp.secretKey, bytes), Buffer.from(nacl.sign.detached(bytes, kp.secretKey)).toString('hex'));
  }
});

test('loadKeyPair refuses missing, malformed and mismatched key files', () => {
  const dir = tempDir();
  assert.throws(() => loadKeyPair(join(dir, 'none.json')), (e: unknown) => e instanceof KeyError && /no key file/.test(e.message));
  writeFileSync(join(dir, 'bad.json'), '{"keytype":"rsa"}');
  assert.throws(() => loadKeyPair(join(dir, 'bad.json')), (e: unknown) => e instanceof KeyError && /not an ed25519 key file/.test(e.message));
  writeFileSync(join(dir, 'text.json'), 'not json');
  assert.throws(() => loadKeyPair(join(dir, 'text.json')), KeyError);
  const kp = generateKeyPair();
  saveKeyPair(join(dir, 'mix.json'), kp);
  const body = JSON.parse(readFileSync(join(dir, 'mix.json'), 'utf8'));
  body.public = publicKeyHex(generateKeyPair());
  writeFileSync(join(dir, 'mix.json'), JSON.stringify(body));
  assert.throws(() => loadKeyPair(join(dir, 'mix.json')), (e: unknown) => e instanceof KeyError && /does not match/.test(e.message));
});

test('canonicalJson sorts keys, drops whitespace, returns a Buffer, and refuses floats', () => {
  const out = canonicalJson({ z: [1, 'two', { b: null, a: true }], a: 'é' });
  assert.ok(Buffer.isBuffer(out));
  assert.equal(out.toString('utf8'), '{"a":"é","z":[1,"two",{"a":true,"b":null}]}');
  assert.throws(() => canonicalJson({ x: 0.5 }));
});
