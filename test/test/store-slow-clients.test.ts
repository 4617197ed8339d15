// Slow clients must not lock everyone out. Each held connection costs the
// server a file descriptor (an upload two: socket and temp file); with nothing to cut them, 300
// slow clients ran a store under a 360-file limit out of descriptors, and honest uploads failed
// with EMFILE. Now headers and bodies have deadlines, refused requests close their connection,
// and one account holds only a few uploads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packTestBundle, publish, publisherKey, runStoreCli, startStore, type RunningStore } from '../src';

const work = mkdtempSync(join(tmpdir(), 'skiff-slow-clients-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A client that sends `opening`, then one more byte each time `trickle()` is called. */
interface SlowClient { socket: Socket; closed: boolean; answer: string }

function slowClient(store: RunningStore, opening: string): SlowClient {
  const socket = connect(Number(new URL(store.url).port), '127.0.0.1');
  const client: SlowClient = { socket, closed: false, answer: '' };
  socket.setEncoding('utf8').on('data', (d: string) => { client.answer += d; });
  socket.on('error', () => { /* a reset is one way of being cut */ }).on('close', () => { client.closed = true; });
  socket.write(opening);
  return client;
}

function trickleEvery(ms: number, clients: SlowClient[]): () => void {
  const timer = setInterval(() => { for (const c of clients) if (!c.closed) c.socket.write('x'); }, ms);
  return () => clearInterval(timer);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const socketsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).filter((fd) => {
  try { return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:'); } catch { return false; }
}).length;

const uploadHead = (extra: string) => 'POST /v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\n' +
  `content-length: 100000\r\nskiff-key-id: ${'a'.repeat(64)}\r\nskiff-signature: ${'b'.repeat(128)}\r\n${extra}\r\n`;

const errorOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error as { code: string; message: string };

test('300 slow clients, held open, do not keep an honest publisher from registering, uploading and listing', async (t) => {
  const store = await startStore({
    openFilesLimit: 360,
    serveArgs: ['--max-connections', '340', '--headers-timeout', '30', '--upload-rate-interval', '30', '--upload-min-bytes', '1024', '--max-uploads-in-flight', '4'],
  });
  const clients: SlowClient[] = [];
  t.after(async () => {
    for (const c of clients) c.socket.destroy();
    await store.stop();
  });
  const mallory = runStoreCli(['account', 'add', 'mallory', '--data', store.dataDir]).pop()!.trim();
  const bundle = await packTestBundle(work, { name: 'honest', version: '1.0' });
  assert.match(store.logs(), /the open-files limit is low for maxConnections/, 'the store warns that 360 files are few for 340 connections');
  const baseSockets = socketsOf(store.child.pid!);

  // 150 never finish their headers; 75 upload without a token; 75 upload as mallory. One byte each per 500 ms.
  const headers = Array.from({ length: 150 }, () => slowClient(store, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
  const anonymous = Array.from({ length: 75 }, () => slowClient(store, uploadHead('')));
  const signedIn = Array.from({ length: 75 }, () => slowClient(store, uploadHead(`authorization: Bearer ${mallory}\r\n`)));
  clients.push(...headers, ...anonymous, ...signedIn);
  const stopTrickle = trickleEvery(500, clients);
  t.after(stopTrickle);
  // The server has accepted every header trickler: they hold a socket each in the store process.
  await waitFor(() => socketsOf(store.child.pid!) >= baseSockets + headers.length, 'the store to hold the slow connections', 30_000);

  // The honest publisher, while they are held.
  const revision = await publish(store, bundle.path, 'stable');
  assert.equal(revision, 1);
  const info = await (await fetch(`${store.url}/v1/apps/honest`)).json() as { channels: Record<string, { revision: number }> };
  assert.equal(info.channels['latest/stable']?.revision, 1);
  const mine = await (await fetch(`${store.url}/v1/account`, { headers: { authorization: `Bearer ${store.token}` } })).json() as { apps: { name: string }[] };
  assert.deepEqual(mine.apps.map((a) => a.name), ['honest']);
  assert.equal(headers.filter((c) => !c.closed).length, headers.length, 'the header tricklers were still held open');

  // Refused requests closed their connection at once instead of draining a trickled body.
  for (const c of anonymous) assert.equal(errorOf(c.answer).code, 'unauthorized');
  const tooMany = signedIn.filter((c) => c.answer.startsWith('HTTP/1.1 429'));
  assert.equal(tooMany.length, signedIn.length - 4, 'mallory holds only 4 uploads');
  for (const c of tooMany) assert.equal(errorOf(c.answer).code, 'too-many-uploads');

  // Then every slow client is cut: headers by the headers timeout, uploads by the minimum rate.
  await waitFor(() => clients.every((c) => c.closed), 'every slow client to be cut', 120_000);
  for (const c of headers) assert.equal(errorOf(c.answer).code, 'request-timeout');
  for (const c of signedIn.filter((c) => !tooMany.includes(c))) assert.equal(errorOf(c.answer).code, 'upload-too-slow');
  await waitFor(() => readdirSync(join(store.dataDir, 'tmp')).length === 0, 'the cut uploads\' temp files to go', 10_000);
});

test('an upload at 1 byte per interval is cut by the minimum rate and leaves no temp file', async (t) => {
  const store = await startStore({ serveArgs: ['--upload-rate-interval', '2', '--upload-min-bytes', '2'] });
  t.after(() => store.stop());
  const key = await publisherKey(store);
  const reg = await fetch(`${store.url}/v1/apps`, {
    method: 'POST', headers: { authorization: `Bearer ${store.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'trickle' }),
  });
  assert.equal(reg.status, 201);
  const client = slowClient(store, uploadHead(`authorization: Bearer ${store.token}\r\n`).replace('a'.repeat(64), key.keyId));
  t.after(() => client.socket.destroy());
  await waitFor(() => readdirSync(join(store.dataDir, 'tmp')).length === 1, 'the upload to start', 10_000);
  const started = Date.now();
  // One byte per 2 s window, for at most 15 windows: the store must cut it long before.
  for (let i = 0; i < 15 && !client.closed; i++) {
    client.socket.write('x');
    await waitFor(() => client.closed || Date.now() - started >= (i + 1) * 2000, 'the next window', 10_000);
  }
  assert.ok(client.closed, 'the store cut the upload');
  t.diagnostic(`cut after ${Date.now() - started} ms (window 2000 ms)`);
  assert.match(client.answer, /^HTTP\/1\.1 408 /);
  assert.equal(errorOf(client.answer).code, 'upload-too-slow');
  await waitFor(() => readdirSync(join(store.dataDir, 'tmp')).length === 0, 'the temp file to go', 10_000);
});

test('past maxConnections a new connection is closed at once; a freed slot serves again', async (t) => {
  const store = await startStore({ serveArgs: ['--max-connections', '5', '--keep-alive-timeout', '60'] });
  const held: SlowClient[] = [];
  t.after(async () => {
    for (const c of held) c.socket.destroy();
    await store.stop();
  });
  // Keep-alive clients that got an answer: accepted, and counted until they close.
  const answered = async (): Promise<SlowClient> => {
    const c = slowClient(store, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    held.push(c);
    await waitFor(() => c.closed || c.answer.includes('\r\n\r\n'), 'an answer or a close', 10_000);
    return c;
  };
  let refused: SlowClient | undefined;
  for (let i = 0; i < 10 && !refused; i++) {
    const c = await answered();
    if (!c.answer) refused = c;
  }
  assert.ok(refused, 'a connection past the cap was closed without an answer');
  assert.ok(held.filter((c) => c.answer.startsWith('HTTP/1.1 200')).length <= 5);
  for (const c of held.filter((c) => c.answer)) c.socket.destroy();
  // The server sees the closes on its own time: retry until a freed slot serves.
  let served: SlowClient | undefined;
  for (let i = 0; i < 100 && !served?.answer; i++) {
    served = await answered();
    if (!served.answer) await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(served?.answer ?? '', /^HTTP\/1\.1 200 /);
});

test('a request body trickled to a JSON route is cut by the request timeout: 408 in the error shape', async (t) => {
  const store = await startStore({ serveArgs: ['--headers-timeout', '1', '--request-timeout', '2'] });
  t.after(() => store.stop());
  const client = slowClient(store, `POST /v1/apps HTTP/1.1\r\nHost: 127.0.0.1\r\nauthorization: Bearer ${store.token}\r\n` +
    'content-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name": "');
  t.after(() => client.socket.destroy());
  // One byte per 200 ms, for at most 30 s: the store must cut it long before.
  const stopTrickle = trickleEvery(200, [client]);
  t.after(stopTrickle);
  await waitFor(() => client.closed, 'the store to cut the request', 30_000);
  assert.equal(errorOf(client.answer).code, 'request-timeout');
});
