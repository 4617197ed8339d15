// Unit tests of the trust part that need no store: settings, target parsing, atomic writes, the metadata
// cache's shipped-root fallback, and the fetcher against a misbehaving loopback server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Key, Metadata, Root, Signature, TargetFile } from '@tufjs/models';
import { DownloadHTTPError } from 'tuf-js/dist/error';
import { generateKeyPair, keyIdOf, publicKeyHex, signBytes, tufPublicKey } from '@skiff/bundle';
import { trustSettings, TrustMissingError, TrustRefusedError, DownloadFailedError } from '../src/trust';
import { checkAppName, checkStoreAppName, checkRevision, parseChannelMap, toBundleTarget } from '../src/trust/targets';
import { writeFileAtomic } from '@skiff/bundle';
import { MetadataStore, SHIPPED_ROOT } from '../src/trust/metadata-store';
import { StoreFetcher } from '../src/trust/fetcher';

const tmp = () => mkdtempSync(join(tmpdir(), 'skiff-trust-unit-'));

function selfSignedRoot(version = 1): Buffer {
  const kp = generateKeyPair();
  const hex = publicKeyHex(kp);
  const key = Key.fromJSON(keyIdOf(hex), tufPublicKey(hex) as unknown as Parameters<typeof Key.fromJSON>[1]);
  const root = new Root({ version, specVersion: '1.0.31', expires: '2099-01-01T00:00:00Z', consistentSnapshot: true });
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) root.addKey(key, role);
  const md = new Metadata(root);
  md.sign((bytes) => new Signature({ keyID: key.keyID, sig: signBytes(kp.secretKey, bytes) }));
  return Buffer.from(JSON.stringify(md.toJSON()));
}

test('settings: defaults carry the documented caps, and a limit cannot be disabled', () => {
  const s = trustSettings();
  assert.equal(s.timestampMaxBytes, 16384);
  assert.equal(s.snapshotMaxBytes, 2_000_000);
  assert.equal(s.targetsMaxBytes, 5_000_000);
  assert.equal(s.rootMaxBytes, 512 * 1024);
  assert.throws(() => trustSettings({ stallTimeoutMs: NaN }), /stallTimeoutMs/);
  assert.throws(() => trustSettings({ retries: -1 }), /retries/);
});

test('channel map: parsed when well-formed, refused in one line otherwise', () => {
  const good = Buffer.from(JSON.stringify({ name: 'hello', channels: { 'latest/stable': { revision: 3, version: '1.2' } } }));
  assert.deepEqual(parseChannelMap(good, 'hello'), { name: 'hello', channels: { 'latest/stable': { revision: 3, version: '1.2' } } });
  for (const bad of ['{', '[]', JSON.stringify({ name: 'other', channels: {} }), JSON.stringify({ name: 'hello', channels: { x: { revision: 0, version: '1' } } }),
    JSON.stringify({ name: 'hello', channels: { x: { revision: 1.5, version: '1' } } })]) {
    assert.throws(() => parseChannelMap(Buffer.from(bad), 'hello'), (e: Error) => e instanceof TrustRefusedError && !e.message.includes('\n'));
  }
});

test('a bad app name or revision is a name-invalid SkiffError; a file path hints at --dangerous; a reserved name is name-reserved', () => {
  const refused = (fn: () => void, code = 'name-invalid'): string => {
    try { fn(); } catch (err) { assert.equal((err as { code?: string }).code, code); return (err as Error).message; }
    return assert.fail('accepted');
  };
  assert.doesNotThrow(() => checkAppName('hello'));
  assert.match(refused(() => checkStoreAppName('out/hello_1.3.skiff')), /; to install a local bundle file, add --dangerous$/);
  assert.doesNotMatch(refused(() => checkAppName('out/hello')), /dangerous/, 'only install speaks of local files');
  assert.doesNotMatch(refused(() => checkStoreAppName('Hello')), /dangerous/);
  assert.match(refused(() => checkStoreAppName('bin'), 'name-reserved'), /"bin" is reserved/);
  assert.match(refused(() => checkRevision(0)), /^invalid revision 0/);
});

test('bundle target: the signed custom fields must name the app and revision asked for', () => {
  const sha = 'a'.repeat(64);
  const tf = (custom: object) => TargetFile.fromJSON('apps/hello/3.skiff', { length: 10, hashes: { sha256: sha }, custom } as never);
  const ok = toBundleTarget(tf({ name: 'hello', revision: 3, version: '1.2', publisher: 'alice' }), 'hello', 3);
  assert.deepEqual(ok, { path: 'apps/hello/3.skiff', length: 10, sha256: sha, custom: { name: 'hello', revision: 3, version: '1.2', publisher: 'alice' } });
  assert.throws(() => toBundleTarget(tf({ name: 'hello', revision: 4, version: '1', publisher: 'a' }), 'hello', 3), TrustRefusedError);
  assert.throws(() => toBundleTarget(tf({ name: 'evil', revision: 3, version: '1', publisher: 'a' }), 'hello', 3), TrustRefusedError);
});

test('writeFileAtomic replaces a file and leaves no temporary behind', async () => {
  const dir = tmp();
  await writeFileAtomic(join(dir, 'a.json'), 'one');
  await writeFileAtomic(join(dir, 'a.json'), 'two');
  assert.equal(readFileSync(join(dir, 'a.json'), 'utf8'), 'two');
  assert.deepEqual(readdirSync(dir), ['a.json']);
});

test('metadata cache: a corrupt root.json falls back to the shipped root; none at all is trust-missing', async () => {
  const dir = tmp();
  const store = new MetadataStore(dir);
  await assert.rejects(store.trustedRoot(), TrustMissingError);
  const shipped = selfSignedRoot();
  await store.installShippedRoot(shipped);
  assert.deepEqual(readFileSync(join(dir, SHIPPED_ROOT)), shipped);
  writeFileSync(join(dir, 'root.json'), shipped.subarray(0, 40)); // a torn write
  writeFileSync(join(dir, 'timestamp.json'), '{"signed": ');
  const work = await store.seedWorkDir();
  assert.deepEqual(readFileSync(join(work, 'root.json')), shipped);
  assert.deepEqual(readdirSync(work), ['root.json'], 'the corrupt timestamp is not seeded');
  await store.saveFrom(work);
  assert.deepEqual(readFileSync(join(dir, 'root.json')), shipped, 'the cache is healed from the working folder');
  await assert.rejects(store.installShippedRoot(Buffer.from('{}')), TrustMissingError);
});

async function misbehavingServer(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => { server.closeAllConnections(); return new Promise((r) => server.close(() => r())); } };
}

test('fetcher: HTTP errors are tuf-js DownloadHTTPErrors; redirects are followed a few times; endless bodies are cut at the cap; silence and no answer time out', async () => {
  const server = await misbehavingServer((req, res) => {
    if (req.url === '/missing') return void res.writeHead(404).end();
    if (req.url === '/moved') return void res.writeHead(302, { location: '/small' }).end();
    if (req.url === '/loop') return void res.writeHead(301, { location: '/loop' }).end();
    if (req.url === '/small') return void res.writeHead(200).end('{"ok":1}');
    if (req.url === '/silent') return void res.writeHead(200).flushHeaders();
    if (req.url === '/mute') return; // accepts, never answers
    res.writeHead(200);
    const chunk = Buffer.alloc(4096, 1);
    const pump = () => { while (!res.destroyed && res.write(chunk)); };
    res.on('drain', pump);
    pump();
  });
  const fetcher = new StoreFetcher(trustSettings({ stallTimeoutMs: 200, retries: 1, retryBaseDelayMs: 10 }));
  try {
    await assert.rejects(fetcher.downloadBytes(`${server.url}/missing`, 100), (e: unknown) => e instanceof DownloadHTTPError && e.statusCode === 404);
    assert.equal((await fetcher.downloadBytes(`${server.url}/moved`, 100)).toString(), '{"ok":1}', 'a redirect (mirror, CDN) is followed');
    await assert.rejects(fetcher.downloadBytes(`${server.url}/loop`, 100), /more than 5 redirects/);
    const started = Date.now();
    await assert.rejects(fetcher.downloadBytes(`${server.url}/endless`, 16384), (e: Error) => e instanceof TrustRefusedError && /16384 bytes/.test(e.message));
    assert.ok(Date.now() - started < 2000, 'cut at the cap, not after a timeout');
    await assert.rejects(fetcher.downloadBytes(`${server.url}/silent`, 100), (e: Error) => e instanceof DownloadFailedError && /sent nothing for 200 ms/.test(e.message));
    const mute = new StoreFetcher(trustSettings({ requestTimeoutMs: 200, retries: 0 }));
    await assert.rejects(mute.downloadBytes(`${server.url}/mute`, 100), (e: Error) => e instanceof DownloadFailedError && /no answer from 127\.0\.0\.1:\d+ within 200 ms/.test(e.message));
  } finally {
    await server.close();
  }
});

test('fetcher: many requests over one kept-alive socket leave no listener behind', async () => {
  const server = await misbehavingServer((_req, res) => void res.end('x'));
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const fetcher = new StoreFetcher(trustSettings());
    for (let i = 0; i < 20; i++) assert.equal((await fetcher.downloadBytes(`${server.url}/x`, 10)).toString(), 'x');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings.map((w) => w.message), []);
  } finally {
    process.off('warning', onWarning);
    await server.close();
  }
});
