import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  KeyError, generateKeyPair, keyIdOf, loadKeyPair, publicKeyHex, saveKeyPair, type KeyPair,
} from '@skiff/bundle';
import { configDir, refuseOpenToOthers } from './publisher/config';

/** Key names: lowercase letters, digits and single dashes, like bundle names. */
const KEY_NAME = /^[a-z0-9](?:-?[a-z0-9]){0,39}$/;
const KEY_SUFFIX = '.json';

/** A publisher key as listed: never the secret half. */
export interface KeyInfo { name: string; path: string; keyId: string; publicKey: string }
/** A publisher key loaded for signing. */
export interface StoredKey extends KeyInfo { keyPair: KeyPair }

/** The keys folder of configDir(): $XDG_CONFIG_HOME/skiff/keys, else ~/.config/skiff/keys. */
export function keysDir(): string {
  return join(configDir(), 'keys');
}

export function keyPath(name: string): string {
  checkName(name);
  return join(keysDir(), `${name}${KEY_SUFFIX}`);
}

/** Creates and saves a new key pair; refuses to replace an existing key (it may be registered already). */
export function createKey(name: string): KeyInfo {
  const path = keyPath(name);
  if (existsSync(path)) throw new KeyError(`a key named ${name} already exists at ${path}`);
  const keyPair = generateKeyPair();
  saveKeyPair(path, keyPair);
  return infoOf(name, path, keyPair);
}

/** Loads a key for signing; refuses a key file others can read or write, as ssh does. */
export function loadKey(name: string): StoredKey {
  const path = keyPath(name);
  if (!existsSync(path)) throw new KeyError(`no key named ${name} in ${keysDir()}; create one with: skiff key create ${name}`);
  refuseOpenToOthers(path, (message) => new KeyError(`key file ${message}`));
  const keyPair = loadKeyPair(path);
  return { ...infoOf(name, path, keyPair), keyPair };
}

/** Every key in keysDir(), sorted by name. */
export function listKeys(): KeyInfo[] {
  let files: string[];
  try {
    files = readdirSync(keysDir());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return files
    .filter((f) => f.endsWith(KEY_SUFFIX) && KEY_NAME.test(f.slice(0, -KEY_SUFFIX.length)))
    .sort()
    .map((f) => {
      const name = f.slice(0, -KEY_SUFFIX.length);
      const path = join(keysDir(), f);
      return infoOf(name, path, loadKeyPair(path));
    });
}

/** The key used when none is named: the only key there is, else 'default'. */
export function defaultKeyName(): string {
  const keys = listKeys();
  return keys.length === 1 ? (keys[0] as KeyInfo).name : 'default';
}

function infoOf(name: string, path: string, keyPair: KeyPair): KeyInfo {
  const publicKey = publicKeyHex(keyPair);
  return { name, path, keyId: keyIdOf(publicKey), publicKey };
}

function checkName(name: string): void {
  if (!KEY_NAME.test(name)) throw new KeyError(`bad key name "${name}": use 1-40 lowercase letters, digits and single dashes`);
}
