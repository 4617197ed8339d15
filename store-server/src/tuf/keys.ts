// TUF role keys of a store, one file per role: DATA/keys/<role>.json, mode 0600.
//
//   { "role": "timestamp",
//     "keyid": "<sha256 hex of the canonical JSON of the public key object>",
//     "keytype": "ed25519", "scheme": "ed25519",
//     "keyval": { "public": "<64 hex>" },
//     "secret": "<128 hex: the tweetnacl secret key, seed followed by public key>" }
//
// Roles: root, targets, snapshot, timestamp, and bins (the one online key shared by every hashed bin).
// Tests that forge metadata load them with `loadRoleKeys(dataDir)` and sign with `signMetadata`.
import { readFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Key, Metadata, Signature, type Root, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { generateKeyPair, keyIdOf, publicKeyHex, signBytes, tufPublicKey, writeFileAtomic } from '@skiff/bundle';
import { RepositoryError } from '../errors';

export const ROLE_NAMES = ['root', 'targets', 'snapshot', 'timestamp', 'bins'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RoleKey {
  role: RoleName;
  keyId: string;
  publicHex: string;
  secretKey: Uint8Array;
  /** The public key as @tufjs/models wants it in root or delegations. */
  key: Key;
}

export type RoleKeys = Record<RoleName, RoleKey>;

interface RoleKeyFile {
  role: RoleName; keyid: string; keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string }; secret: string;
}

export function roleKeyPath(keysDir: string, role: RoleName): string {
  return join(keysDir, `${role}.json`);
}

/** A role key from its halves (a key no root names, for tests that forge, is made the same way). */
export function toRoleKey(role: RoleName, publicHex: string, secretKey: Uint8Array): RoleKey {
  const { keytype, scheme, keyval } = tufPublicKey(publicHex);
  const keyId = keyIdOf(publicHex);
  return { role, keyId, publicHex, secretKey, key: new Key({ keyID: keyId, keyType: keytype, scheme, keyVal: keyval }) };
}

/** Makes a new key for every role and saves each 0600 under `keysDir`. */
export function createRoleKeys(keysDir: string): RoleKeys {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  chmodSync(keysDir, 0o700);
  const keys = {} as RoleKeys;
  for (const role of ROLE_NAMES) {
    const kp = generateKeyPair();
    const rk = toRoleKey(role, publicKeyHex(kp), kp.secretKey);
    const file: RoleKeyFile = {
      role, keyid: rk.keyId, ...tufPublicKey(rk.publicHex), secret: Buffer.from(kp.secretKey).toString('hex'),
    };
    writeFileAtomic(roleKeyPath(keysDir, role), JSON.stringify(file, null, 2) + '\n', 0o600);
    keys[role] = rk;
  }
  return keys;
}

/** Loads the role keys of the store whose data folder is `dataDir` (its keys live in DATA/keys/). */
export function loadRoleKeys(dataDir: string, keysDir = join(dataDir, 'keys')): RoleKeys {
  const keys = {} as RoleKeys;
  for (const role of ROLE_NAMES) {
    const path = roleKeyPath(keysDir, role);
    let file: RoleKeyFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as RoleKeyFile;
    } catch (err) {
      throw new RepositoryError(`cannot read the ${role} key ${path}: ${(err as Error).message}`);
    }
    if (!/^[0-9a-f]{64}$/.test(file.keyval?.public ?? '') || !/^[0-9a-f]{128}$/.test(file.secret ?? '')) {
      throw new RepositoryError(`the ${role} key ${path} is malformed`);
    }
    keys[role] = toRoleKey(role, file.keyval.public, Uint8Array.from(Buffer.from(file.secret, 'hex')));
  }
  return keys;
}

/** The signed part of any role's metadata. */
export type RoleSigned = Root | Targets | Snapshot | Timestamp;

/** Signs metadata with the given keys (ed25519 through tweetnacl), replacing any earlier signatures. */
export function signMetadata<T extends RoleSigned>(metadata: Metadata<T>, keys: RoleKey[]): Metadata<T> {
  metadata.signatures = {};
  for (const k of keys) {
    metadata.sign((bytes) => new Signature({ keyID: k.keyId, sig: signBytes(k.secretKey, bytes) }), true);
  }
  return metadata;
}
