// The upload size limit over a real socket: a declared size over the limit is refused before the
// body is read, and a lying client is cut off while streaming; nothing is stored either way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStore, publisherKey, type RunningStore } from '../src/store';

const LIMIT = 100_000;
let store: RunningStore;
before(async () => { store = await startStore({ serveArgs: ['--max-upload-bytes', String(LIMIT)] }); });
after(async () => { await store?.stop(); });

function post(headers: Record<string, string | number>, send: (req: ReturnType<typeof request>) => void): Promise<{ status: number; body: string }> {
  const url = new URL(`${store.url}/v1/uploads`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    send(req);
  });
}

const stored = () => ({ blobs: readdirSync(join(store.dataDir, 'blobs')), tmp: readdirSync(join(store.dataDir, 'tmp')) });

test('a declared Content-Length over the limit: 413 before any byte of the body is read', async () => {
  const key = await publisherKey(store);
  const headers = {
    authorization: `Bearer ${store.token}`, 'content-type': 'application/octet-stream', 'content-length': 50 * 1024 * 1024,
    'skiff-key-id': key.keyId, 'skiff-signature': 'ab'.repeat(64),
  };
  const before = stored();
  // Headers only: the store must answer without waiting for 50 MiB.
  const res = await post(headers, (req) => req.flushHeaders());
  assert.equal(res.status, 413);
  assert.equal(JSON.parse(res.body).error.code, 'too-large');
  assert.deepEqual(stored(), before);
});

test('a chunked body that grows past the limit is cut off at the limit: 413, nothing kept', async () => {
  const key = await publisherKey(store);
  const headers = {
    authorization: `Bearer ${store.token}`, 'content-type': 'application/octet-stream',
    'skiff-key-id': key.keyId, 'skiff-signature': 'ab'.repeat(64),
  };
  const before = stored();
  const res = await post(headers, (req) => {
    const chunk = Buffer.alloc(16 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent <= 3 * LIMIT) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    req.on('error', () => { /* the store may close before we finish */ });
    pump();
  });
  assert.equal(res.status, 413);
  assert.deepEqual(stored(), before);
});
