import { createHash, randomBytes } from 'node:crypto';
import { keyIdOf } from '@skiff/bundle';
import type { StoreContext } from '../context';
import type { AccountRow, PublisherKeyRow } from '../repositories/accounts';
import { BadRequestError, ConflictError, UnauthorizedError } from '../errors';

export const ACCOUNT_NAME_RE = /^[a-z0-9][a-z0-9._-]{1,39}$/;
export const KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN_PREFIX = 'skiff_';
/** Random bytes in a new API token. */
const TOKEN_BYTES = 32;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface PublisherKey { name: string; keyId: string; publicKey: string; created: string }

function publicView(k: PublisherKeyRow): PublisherKey {
  return { name: k.name, keyId: k.key_id, publicKey: k.public_hex, created: k.created };
}

/** Accounts, their API tokens (kept only as sha256) and their ed25519 publisher keys. */
export function accountService(ctx: StoreContext) {
  return {
    /** Creates an account; the token is returned once and only its hash is stored. */
    create(name: string): { account: AccountRow; token: string } {
      if (!ACCOUNT_NAME_RE.test(name)) throw new BadRequestError(`bad account name "${name}": 2-40 of a-z 0-9 . _ -, starting with a letter or digit`);
      if (ctx.accounts.findByName(name)) throw new ConflictError(`account "${name}" exists already`, 'account-exists');
      const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
      return { account: ctx.accounts.create(name, hashToken(token)), token };
    },

    /** The account a `Bearer` Authorization header belongs to. */
    authenticate(header: string | undefined): AccountRow {
      const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
      if (!m) throw new UnauthorizedError();
      const account = ctx.accounts.findByTokenHash(hashToken(m[1]!));
      if (!account) throw new UnauthorizedError('the API token is not valid');
      return account;
    },

    registerKey(account: AccountRow, name: string, publicHex: string): PublisherKey {
      if (!KEY_NAME_RE.test(name)) throw new BadRequestError(`bad key name "${name}"`);
      const hex = publicHex.toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new BadRequestError('publicKey must be an ed25519 public key as 64 hex digits', 'key-invalid');
      const keyId = keyIdOf(hex);
      const existing = ctx.accounts.findKey(keyId);
      if (existing) throw new ConflictError(existing.account_id === account.id ? `key ${keyId} is registered already as "${existing.name}"` : `key ${keyId} belongs to another account`, 'key-exists');
      if (ctx.accounts.findKeyByName(account.id, name)) throw new ConflictError(`a key named "${name}" is registered already`, 'key-exists');
      return publicView(ctx.accounts.addKey(account.id, name, keyId, hex));
    },

    keys: (account: AccountRow): PublisherKey[] => ctx.accounts.keysOf(account.id).map(publicView),
  };
}
export type AccountService = ReturnType<typeof accountService>;
