// Shared fixtures for the store's route tests: a real store in a temporary folder, real bundles.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readdirSync, readFileSync, statSync, chmodSync, chownSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { MKSQUASHFS_OPTIONS, packBundle, generateKeyPair, publicKeyHex, keyIdOf, signBytes, uploadSignaturePayload, type KeyPair, type PackResult } from '@skiff/bundle';
import { buildApp, initStore, openStore, type StoreContext, type StoreSettings } from '../src/index';
import { accountService } from '../src/services/accounts';

export interface TestStore {
  dir: string;
  ctx: StoreContext;
  app: FastifyInstance;
  /** Tokens of the accounts `alice` and `bob`. */
  tokens: { alice: string; bob: string };
  close(): Promise<void>;
}

/** A fresh store (16 bins: quick to create) with the accounts alice and bob, behind a ready app. */
export async function openTestStore(settings: Partial<StoreSettings> = {}): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-store-test-'));
  // Deltas off unless a test asks: a delta published later would be a commit the test did not make.
  const merged = { binBitLength: 4, deltaSourceRevisions: 0, ...settings };
  initStore(dir, merged);
  const ctx = openStore(dir, merged, { recover: true });
  const accounts = accountService(ctx);
  const tokens = { alice: accounts.create('alice').token, bob: accounts.create('bob').token };
  const app = await buildApp(ctx);
  return {
    dir, ctx, app, tokens,
    async close() {
      await app.close();
      ctx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * Packs a small real bundle; `padBytes` of random data make it bigger (and unique). Also the end-to-end
 * tests' fixture (test/src/store-fixtures.ts), so there is one.
 */
export async function makeBundle(workDir: string, opts: { name: string; version?: string; summary?: string; description?: string; plugs?: string[]; padBytes?: number; architectures?: string[] }): Promise<PackResult & { bytes: Buffer }> {
  const src = join(workDir, `src-${opts.name}-${randomBytes(4).toString('hex')}`);
  mkdirSync(join(src, 'meta'), { recursive: true });
  mkdirSync(join(src, 'bin'), { recursive: true });
  // Text fields as JSON strings, which YAML reads as double-quoted scalars: any characters survive.
  writeFileSync(join(src, 'meta', 'app.yaml'), [
    `name: ${opts.name}`, `version: '${opts.version ?? '1.0'}'`, `summary: ${JSON.stringify(opts.summary ?? `The ${opts.name} test app`)}`,
    ...(opts.description !== undefined ? [`description: ${JSON.stringify(opts.description)}`] : []),
    ...(opts.plugs ? [`plugs: ${JSON.stringify(opts.plugs)}`] : []),
    'apps:', `  ${opts.name}:`, `    command: bin/${opts.name}`,
    ...(opts.architectures ? [`architectures: [${opts.architectures.join(', ')}]`] : []), '',
  ].join('\n'));
  writeFileSync(join(src, 'bin', opts.name), '#!/bin/sh\necho hello\n');
  chmodSync(join(src, 'bin', opts.name), 0o755);
  writeFileSync(join(src, 'pad'), randomBytes(opts.padBytes ?? 64));
  const out = join(workDir, `out-${randomBytes(4).toString('hex')}`);
  const r = await packBundle(src, out);
  return { ...r, bytes: readFileSync(r.path) };
}

/**
 * A bundle image made by hand with mksquashfs, as a hostile publisher could: no pack rules,
 * and without -all-root, so files keep their owners (`chown` gives one file another owner first).
 */
export async function makeRawImage(workDir: string, opts: { name: string; chown?: { path: string; uid: number; gid: number } }): Promise<Buffer> {
  const src = join(workDir, `raw-${opts.name}-${randomBytes(4).toString('hex')}`);
  mkdirSync(join(src, 'meta'), { recursive: true });
  mkdirSync(join(src, 'bin'), { recursive: true });
  writeFileSync(join(src, 'meta', 'app.yaml'), `name: ${opts.name}\nversion: '1.0'\nsummary: raw\napps:\n  ${opts.name}:\n    command: bin/run\n`);
  writeFileSync(join(src, 'bin', 'run'), '#!/bin/sh\n');
  chmodSync(join(src, 'bin', 'run'), 0o755);
  if (opts.chown) chownSync(join(src, opts.chown.path), opts.chown.uid, opts.chown.gid);
  const image = `${src}.skiff`;
  const r = spawnSync('mksquashfs', [src, image, ...MKSQUASHFS_OPTIONS.filter((o) => o !== '-all-root')]);
  if (r.status !== 0) throw new Error(`mksquashfs failed: ${String(r.stderr)}`);
  return readFileSync(image);
}

/** Polls `condition` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Publisher { kp: KeyPair; keyId: string }

export async function registerKey(app: FastifyInstance, token: string, name = 'default'): Promise<Publisher> {
  const kp = generateKeyPair();
  const res = await app.inject({ method: 'POST', url: '/v1/account/keys', headers: auth(token), payload: { name, publicKey: publicKeyHex(kp) } });
  if (res.statusCode !== 201) throw new Error(`key registration failed: ${res.body}`);
  return { kp, keyId: keyIdOf(publicKeyHex(kp)) };
}

export function uploadHeaders(token: string, pub: Publisher, name: string, bytes: Buffer): Record<string, string> {
  const sha = createHash('sha256').update(bytes).digest('hex');
  return {
    ...auth(token), 'content-type': 'application/octet-stream',
    'skiff-key-id': pub.keyId, 'skiff-signature': signBytes(pub.kp.secretKey, uploadSignaturePayload(name, sha, bytes.length)),
  };
}

/** Everything a refusal must leave untouched: metadata and target files, blobs, temp files, rows. */
export function storeState(store: TestStore): string {
  const list = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? list(join(d, e.name)).map((f) => `${e.name}/${f}`) : [`${e.name}:${statSync(join(d, e.name)).size}:${createHash('sha256').update(readFileSync(join(d, e.name))).digest('hex').slice(0, 12)}`]);
  const rows = ['accounts', 'publisher_keys', 'apps', 'revisions', 'channels'].map((t) =>
    `${t}=${JSON.stringify(store.ctx.db.prepare(`SELECT * FROM ${t}`).all())}`);
  return JSON.stringify({ repo: list(join(store.dir, 'repo')), blobs: list(join(store.dir, 'blobs')), tmp: list(join(store.dir, 'tmp')), rows });
}
