// Every error in one shape, {error: {code, message}}: the store's, fastify's own refusals, and Node's HTTP parser's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { InjectOptions } from 'fastify';
import { openTestStore, auth, type TestStore } from './helpers';
import { errorReply } from '../src/error-reply';

let store: TestStore;
let url: URL;
before(async () => {
  store = await openTestStore({ maxJsonBodyBytes: 1024 });
  url = new URL(await store.app.listen({ host: '127.0.0.1', port: 0 }));
});
after(async () => { await store.close(); });

/** Asserts the one error shape, exactly, and returns the code. */
function errorCode(status: number, expected: number, body: string): string {
  assert.equal(status, expected, body);
  const json = JSON.parse(body);
  assert.deepEqual(Object.keys(json), ['error']);
  assert.deepEqual(Object.keys(json.error).sort(), ['code', 'message']);
  assert.equal(typeof json.error.message, 'string');
  return json.error.code;
}

test('fastify refusals: bad URL encoding, malformed JSON, unknown media type, body too large, unknown route', async () => {
  const json = { ...auth(store.tokens.alice), 'content-type': 'application/json' };
  const cases = [
    { req: { method: 'GET', url: '/v1/apps/%E0%A4%A' }, status: 400, code: 'bad-request' },
    { req: { method: 'GET', url: '/repo/metadata/%E0%A4%A' }, status: 400, code: 'bad-request' },
    { req: { method: 'POST', url: '/v1/apps', headers: json, payload: '{"name": ' }, status: 400, code: 'bad-request' },
    { req: { method: 'POST', url: '/v1/apps', headers: { ...json, 'content-type': 'application/xml' }, payload: '<a/>' }, status: 415, code: 'unsupported-media-type' },
    { req: { method: 'POST', url: '/v1/apps', headers: json, payload: JSON.stringify({ name: 'x'.repeat(2000) }) }, status: 413, code: 'too-large' },
    { req: { method: 'POST', url: '/v1/apps', headers: json, payload: '{}' }, status: 400, code: 'bad-request' },
    { req: { method: 'DELETE', url: '/v1/nothing' }, status: 404, code: 'not-found' },
  ];
  for (const c of cases) {
    const res = await store.app.inject(c.req as InjectOptions);
    assert.equal(errorCode(res.statusCode, c.status, res.body), c.code, `${c.req.method} ${c.req.url}`);
  }
});

/** Sends raw bytes over a socket and returns what the server answers before it closes. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => { answer += d; }).on('close', () => resolve(answer)).on('error', reject);
    socket.end(bytes);
  });
}

test("Node's parser refusals over a socket: a malformed request, headers too large", async () => {
  const split = (answer: string) => {
    const [head, body] = answer.split('\r\n\r\n') as [string, string];
    return { status: Number(head.split(' ')[1]), body };
  };
  const malformed = split(await raw('NOT HTTP AT ALL\r\n\r\n'));
  assert.equal(errorCode(malformed.status, 400, malformed.body), 'bad-request');
  const huge = split(await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`));
  assert.equal(errorCode(huge.status, 431, huge.body), 'headers-too-large');
});

test('a server error shows no message, only that it happened', () => {
  const { status, body } = errorReply(new Error('SQLITE_CORRUPT at /srv/skiff/store.db'));
  assert.equal(status, 500);
  assert.deepEqual(body, { error: { code: 'internal-error', message: 'internal server error' } });
});
