// StoreClient's error mapping, against plain HTTP servers on loopback that answer like a store would
// (the real store is exercised end to end in test/test/store-cli.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, verifyBytes, publicKeyHex, canonicalJson } from '@skiff/bundle';
import { StoreClient } from '../src/publisher/api';
import { StoreRequestError, StoreUnreachableError } from '../src/publisher/errors';

async function withServer(handler: (req: IncomingMessage, res: ServerResponse) => void, run: (url: string) => Promise<void>) {
  const srv = createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    await run(`http://127.0.0.1:${(srv.address() as { port: number }).port}`);
  } finally {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
}

test("a refusal carries the store's code, status and message", async () => {
  await withServer((req, res) => {
    assert.equal(req.headers.authorization, 'Bearer tok');
    res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'forbidden', message: 'not yours' } }));
  }, async (url) => {
    await assert.rejects(new StoreClient({ url, token: 'tok' }).release('x', 1, 'stable'),
      (e: unknown) => e instanceof StoreRequestError && e.code === 'forbidden' && e.status === 403 && /not yours \(403\)/.test(e.message));
  });
});

test('something that is not the store API, or nothing at all, is StoreUnreachableError', async () => {
  await withServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'); }, async (url) => {
    await assert.rejects(new StoreClient({ url }).info('x'), (e: unknown) => e instanceof StoreUnreachableError && /not JSON/.test(e.message));
  });
  await assert.rejects(new StoreClient({ url: 'http://127.0.0.1:1' }).info('x'),
    (e: unknown) => e instanceof StoreUnreachableError && e.code === 'store-unreachable');
  await withServer(() => { /* never answers */ }, async (url) => {
    await assert.rejects(new StoreClient({ url, requestTimeoutMs: 200 }).info('x'), (e: unknown) => e instanceof StoreUnreachableError && /timed out/.test(e.message));
  });
});

test('an upload streams the file with Content-Length and a signature over {name, sha256, size}', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-publisher-api-'));
  const file = join(dir, 'b.skiff');
  const data = Buffer.alloc(300_000, 7);
  writeFileSync(file, data);
  const kp = generateKeyPair();
  const progress: number[] = [];
  try {
    await withServer((req, res) => {
      if (req.url === '/v1/uploads/limits') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ maxUploadBytes: data.length }));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        assert.equal(req.headers['content-type'], 'application/octet-stream');
        assert.equal(req.headers['content-length'], String(data.length));
        assert.equal(req.headers['skiff-key-id'], 'kid');
        assert.ok(body.equals(data));
        const ok = verifyBytes(publicKeyHex(kp), canonicalJson({ name: 'hello', sha256: 'ab'.repeat(32), size: data.length }), req.headers['skiff-signature'] as string);
        res.writeHead(ok ? 201 : 400, { 'content-type': 'application/json' })
          .end(JSON.stringify(ok ? { name: 'hello', revision: 7, version: '1', sha256: 'ab'.repeat(32), size: data.length } : { error: { code: 'signature-invalid', message: 'bad' } }));
      });
    }, async (url) => {
      const r = await new StoreClient({ url, token: 't' }).upload({
        file, name: 'hello', sha256: 'ab'.repeat(32), size: data.length, keyId: 'kid', keyPair: kp, onProgress: (n) => progress.push(n),
      });
      assert.equal(r.revision, 7);
      assert.equal(progress[progress.length - 1], data.length);
      // One byte over the store's limit: refused before anything is sent.
      await assert.rejects(new StoreClient({ url, token: 't' }).upload({
        file, name: 'hello', sha256: 'ab'.repeat(32), size: data.length + 1, keyId: 'kid', keyPair: kp,
      }), (e: unknown) => e instanceof StoreRequestError && e.code === 'too-large' && e.status === 413);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an upload the store stops reading is abandoned after uploadStallTimeoutMs, as StoreUnreachableError', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-publisher-stall-'));
  const file = join(dir, 'b.skiff');
  const size = 64 * 1024 * 1024; // more than loopback's socket buffers can hold, so the sender really stalls
  writeFileSync(file, Buffer.alloc(size));
  try {
    await withServer((req, res) => {
      if (req.url === '/v1/uploads/limits') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ maxUploadBytes: size }));
      req.pause(); // never reads the body, never answers
    }, async (url) => {
      await assert.rejects(new StoreClient({ url, token: 't', uploadStallTimeoutMs: 300 }).upload({
        file, name: 'hello', sha256: 'ab'.repeat(32), size, keyId: 'kid', keyPair: generateKeyPair(),
      }), (e: unknown) => e instanceof StoreUnreachableError && /took nothing for 300 ms/.test(e.message));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
