import nacl from 'tweetnacl';
import { readFileSync } from 'node:fs';
import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { writeFileAtomic } from './files';
import { KeyError } from './errors';
import { canonicalJson } from './canonical';
import { sha256Hex } from './digest';
import type { KeyPair, TufKey } from './types';

const HEX_PUBLIC = /^[0-9a-f]{64}$/;
const HEX_SECRET = /^[0-9a-f]{128}$/;
const HEX_SIGNATURE = /^[0-9a-f]{128}$/;

/** A key file as saved on disk: the public half is repeated so a reader need not load the secret. */
interface KeyFile { keytype: 'ed25519'; scheme: 'ed25519'; keyid: string; public: string; secret: string }

/** A new random ed25519 key pair. */
export function generateKeyPair(): KeyPair {
  return nacl.sign.keyPair();
}

/** Writes a key pair as JSON, mode 0600, atomically (temporary file, fsync, rename); creates the folder 0700. */
export function saveKeyPair(path: string, kp: KeyPair): void {
  const publicHex = publicKeyHex(kp);
  const body: KeyFile = {
    keytype: 'ed25519', scheme: 'ed25519', keyid: keyIdOf(publicHex),
    public: publicHex, secret: Buffer.from(kp.secretKey).toString('hex'),
  };
  // Created 0600 from the start: the secret never sits in a readable file, even for a moment.
  writeFileAtomic(path, JSON.stringify(body, null, 2) + '\n', { mode: 0o600, dirMode: 0o700 });
}

/** Reads a key file written by saveKeyPair; refuses one whose halves do not match. */
export function loadKeyPair(path: string): KeyPair {
  let parsed: Partial<KeyFile>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<KeyFile>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new KeyError(e.code === 'ENOENT' ? `no key file at ${path}` : `cannot read key file ${path}: ${e.message}`);
  }
  if (parsed.keytype !== 'ed25519' || typeof parsed.secret !== 'string' || !HEX_SECRET.test(parsed.secret)) {
    throw new KeyError(`${path} is not an ed25519 key file (expected keytype ed25519 and a 64-byte hex secret)`);
  }
  const kp = nacl.sign.keyPair.fromSecretKey(Buffer.from(parsed.secret, 'hex'));
  if (parsed.public !== undefined && parsed.public !== publicKeyHex(kp)) {
    throw new KeyError(`${path}: the public key does not match the secret key`);
  }
  return kp;
}

/** The public key as 64 lowercase hex digits. */
export function publicKeyHex(kp: KeyPair): string {
  return Buffer.from(kp.publicKey).toString('hex');
}

/** The TUF form of a public key (docs/design.md, "Trust on the device"). */
export function tufPublicKey(publicHex: string): TufKey {
  if (!HEX_PUBLIC.test(publicHex)) throw new KeyError(`not an ed25519 public key (64 lowercase hex digits): ${publicHex.slice(0, 80)}`);
  return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } };
}

/** The TUF key id: sha256 hex of the canonical JSON of the public key object. */
export function keyIdOf(publicHex: string): string {
  return sha256Hex(canonicalJson(tufPublicKey(publicHex)));
}

// PKCS#8 DER header of an ed25519 private key (RFC 8410); the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

/**
 * A detached ed25519 signature, as hex. Signed by OpenSSL (node:crypto), not tweetnacl: ed25519 is
 * deterministic, so the bytes are the same, and OpenSSL hashes a large snapshot ~50 times faster.
 */
export function signBytes(secretKey: Uint8Array, bytes: Uint8Array): string {
  if (secretKey.length !== nacl.sign.secretKeyLength) throw new KeyError('an ed25519 secret key is 64 bytes');
  let key = privateKeys.get(secretKey);
  if (!key) {
    key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, secretKey.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
    privateKeys.set(secretKey, key);
  }
  return nodeSign(null, bytes, key).toString('hex');
}

/** True when sigHex is a valid signature of bytes by publicHex; malformed input is simply not valid. */
export function verifyBytes(publicHex: string, bytes: Uint8Array, sigHex: string): boolean {
  if (!HEX_PUBLIC.test(publicHex) || !HEX_SIGNATURE.test(sigHex)) return false;
  return nacl.sign.detached.verify(bytes, Buffer.from(sigHex, 'hex'), Buffer.from(publicHex, 'hex'));
}
