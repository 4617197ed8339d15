// The store killed with SIGKILL in the middle of an upload, then restarted: no revision, no orphan
// blob, no temporary file, the TUF metadata byte for byte as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signBytes, uploadSignaturePayload } from '@skiff/bundle';
import { startStore, publishBundle, publisherKey, type RunningStore } from '../src/store';
import { packTestBundle } from '../src/store-fixtures';

let work: string;
let dataDir: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'skiff-store-crash-'));
  dataDir = join(work, 'data');
});
after(() => rmSync(work, { recursive: true, force: true }));

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else out[`${prefix}${e.name}`] = createHash('sha256').update(readFileSync(join(d, e.name))).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

async function revisions(store: RunningStore) {
  return ((await (await fetch(`${store.url}/v1/apps/hello`)).json()) as { revisions: { revision: number }[] }).revisions.map((r) => r.revision);
}

test('SIGKILL in the middle of an upload, then a restart: nothing of that upload remains', async () => {
  let store = await startStore({ dataDir });
  const token = store.token;
  try {
    const first = await packTestBundle(work, { name: 'hello', version: '1.0' });
    assert.equal((await publishBundle(store, first.path, { channel: 'stable' })).revision, 1);
    const big = await packTestBundle(work, { name: 'hello', version: '2.0', padBytes: 8 * 1024 * 1024 });
    const key = await publisherKey(store);
    const metadataBefore = filesUnder(join(dataDir, 'repo'));
    const blobsBefore = readdirSync(join(dataDir, 'blobs')).sort();

    // Send half the bundle, wait until the server has it in its temporary folder, then kill it.
    const bytes = readFileSync(big.path);
    const url = new URL(`${store.url}/v1/uploads`);
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: {
        authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': bytes.length,
        'skiff-key-id': key.keyId,
        'skiff-signature': signBytes(key.keyPair.secretKey, uploadSignaturePayload('hello', big.sha256, bytes.length)),
      },
    });
    req.on('error', () => { /* the server dies under it */ });
    req.write(bytes.subarray(0, bytes.length >> 1));
    const tmp = join(dataDir, 'tmp');
    const deadline = Date.now() + 10_000;
    while (!readdirSync(tmp).some((f) => f.startsWith('upload-'))) {
      assert.ok(Date.now() < deadline, 'the upload never reached the temporary folder');
      await new Promise((r) => setTimeout(r, 20));
    }
    store.child.kill('SIGKILL');
    await new Promise((r) => store.child.once('exit', r));
    req.destroy();
    assert.ok(readdirSync(tmp).length > 0, 'the kill left a partial upload behind (what restart must clear)');

    store = await startStore({ dataDir, token });
    assert.deepEqual(await revisions(store), [1], 'no revision from the killed upload');
    assert.deepEqual(readdirSync(join(dataDir, 'blobs')).sort(), blobsBefore, 'no orphan blob');
    assert.deepEqual(readdirSync(tmp), [], 'no temporary file');
    assert.deepEqual(filesUnder(join(dataDir, 'repo')), metadataBefore, 'metadata and targets unchanged');

    // The same upload, done properly now, gets revision 2.
    assert.equal((await publishBundle(store, big.path)).revision, 2);
  } finally {
    await store.stop();
  }
});

test('a blob whose revision row never committed (killed between the two) is removed at restart', async () => {
  const orphan = join(dataDir, 'blobs', 'f'.repeat(64));
  writeFileSync(orphan, 'left by a crash between the blob rename and the row commit');
  const store = await startStore({ dataDir, token: 'unused' });
  try {
    assert.equal(existsSync(orphan), false);
    assert.equal(readdirSync(join(dataDir, 'blobs')).length, 2, 'the two real revisions keep their blobs');
  } finally {
    await store.stop();
  }
});
