import type { Db } from '../db';
import { nowIso } from '../db';

export interface AccountRow { id: number; name: string; created: string }
export interface PublisherKeyRow { key_id: string; account_id: number; name: string; public_hex: string; created: string }

/** Accounts, their token hashes and their publisher keys. */
export function accountRepository(db: Db) {
  const insert = db.prepare('INSERT INTO accounts (name, token_sha256, created) VALUES (?, ?, ?)');
  const byName = db.prepare<[string], AccountRow>('SELECT id, name, created FROM accounts WHERE name = ?');
  const byToken = db.prepare<[string], AccountRow>('SELECT id, name, created FROM accounts WHERE token_sha256 = ?');
  const all = db.prepare<[], AccountRow & { apps: number; keys: number }>(
    `SELECT a.id, a.name, a.created,
       (SELECT count(*) FROM apps WHERE account_id = a.id) AS apps,
       (SELECT count(*) FROM publisher_keys WHERE account_id = a.id) AS keys
     FROM accounts a ORDER BY a.name`);
  const insertKey = db.prepare('INSERT INTO publisher_keys (key_id, account_id, name, public_hex, created) VALUES (?, ?, ?, ?, ?)');
  const keyById = db.prepare<[string], PublisherKeyRow>('SELECT * FROM publisher_keys WHERE key_id = ?');
  const keyByName = db.prepare<[number, string], PublisherKeyRow>('SELECT * FROM publisher_keys WHERE account_id = ? AND name = ?');
  const keysOf = db.prepare<[number], PublisherKeyRow>('SELECT * FROM publisher_keys WHERE account_id = ? ORDER BY name');

  return {
    create(name: string, tokenSha256: string): AccountRow {
      const created = nowIso();
      const r = insert.run(name, tokenSha256, created);
      return { id: Number(r.lastInsertRowid), name, created };
    },
    findByName: (name: string) => byName.get(name),
    findByTokenHash: (sha: string) => byToken.get(sha),
    list: () => all.all(),
    addKey(accountId: number, name: string, keyId: string, publicHex: string): PublisherKeyRow {
      const created = nowIso();
      insertKey.run(keyId, accountId, name, publicHex, created);
      return { key_id: keyId, account_id: accountId, name, public_hex: publicHex, created };
    },
    findKey: (keyId: string) => keyById.get(keyId),
    findKeyByName: (accountId: number, name: string) => keyByName.get(accountId, name),
    keysOf: (accountId: number) => keysOf.all(accountId),
  };
}
export type AccountRepository = ReturnType<typeof accountRepository>;
