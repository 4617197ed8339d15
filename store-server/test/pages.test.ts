// The store's pages, served by the app itself: escaping, CSP, session cookies, CSRF, ownership, paging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { openTestStore, auth, makeBundle, registerKey, uploadHeaders, storeState, type TestStore } from './helpers';
import { buildApp } from '../src/index';

/** Text a hostile publisher puts in a manifest. */
const HOSTILE_SUMMARY = '<script>alert(1)</script>"><img src=x onerror=alert(2)>';
const HOSTILE_DESCRIPTION = 'Try <script>alert(3)</script>\n\n"><img src=x onerror=alert(4)> and [click](javascript:alert(5)) or <a href="javascript:alert(6)">here</a>';

let store: TestStore;
let work: string;
before(async () => {
  store = await openTestStore({ searchPageSize: 2 });
  work = mkdtempSync(join(tmpdir(), 'skiff-pages-test-'));
  const pub = await registerKey(store.app, store.tokens.alice);
  const publish = async (name: string, opts: { summary?: string; description?: string; plugs?: string[]; channel?: string } = {}) => {
    await store.app.inject({ method: 'POST', url: '/v1/apps', headers: auth(store.tokens.alice), payload: { name } });
    const b = await makeBundle(work, { name, ...opts });
    const up = await store.app.inject({ method: 'POST', url: '/v1/uploads', headers: uploadHeaders(store.tokens.alice, pub, name, b.bytes), payload: b.bytes });
    assert.equal(up.statusCode, 201, up.body);
    if (opts.channel) {
      const rel = await store.app.inject({ method: 'POST', url: `/v1/apps/${name}/releases`, headers: auth(store.tokens.alice), payload: { revision: up.json().revision, channel: opts.channel } });
      assert.equal(rel.statusCode, 200, rel.body);
    }
  };
  await publish('hostile', { summary: HOSTILE_SUMMARY, description: HOSTILE_DESCRIPTION, channel: 'stable' });
  await publish('weather', { summary: 'Weather at a glance', description: 'Shows the weather.', plugs: ['network'], channel: 'stable' });
  for (const n of ['notes-a', 'notes-b', 'notes-c']) await publish(n, { summary: `A notes app ${n}`, channel: 'edge' });
});
after(async () => {
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

/** The cookies a response sets, as one Cookie header value, and their attributes by name. */
function cookiesOf(res: LightMyRequestResponse): { header: string; attributes: Map<string, string> } {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const live = set.filter((c) => !/expires=Thu, 01 Jan 1970/i.test(c));
  return { header: live.map((c) => c.split(';')[0]).join('; '), attributes: new Map(set.map((c) => [c.split('=')[0]!, c])) };
}
const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

/** Signs `token` in through the form; returns the cookies and a CSRF token of the publisher area. */
async function signIn(app: FastifyInstance, token: string): Promise<{ cookie: string; csrf: string }> {
  const page = await app.inject('/publisher/sign-in');
  const res = await app.inject({ method: 'POST', url: '/publisher/sign-in', headers: { cookie: cookiesOf(page).header }, payload: { token, _csrf: csrfIn(page.body) } });
  assert.equal(res.statusCode, 303, res.body);
  assert.equal(res.headers.location, '/publisher');
  const cookie = cookiesOf(res).header;
  const area = await app.inject({ url: '/publisher', headers: { cookie } });
  assert.equal(area.statusCode, 200);
  return { cookie: [cookie, cookiesOf(area).header].filter(Boolean).join('; '), csrf: csrfIn(area.body) };
}

test('manifest text is escaped on every page that shows it, and the CSP allows no script', async () => {
  for (const url of ['/apps/hostile', '/', '/search?q=script']) {
    const res = await store.app.inject(url);
    assert.equal(res.statusCode, 200, url);
    assert.doesNotMatch(res.body, /<script|<img|href="javascript:/i, url);
    assert.match(res.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;/, url);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|script-src/);
  }
  const page = await store.app.inject('/apps/hostile');
  assert.match(page.body, /\[click\]\(javascript:alert\(5\)\) or &lt;a href=&quot;javascript:alert\(6\)&quot;&gt;here&lt;\/a&gt;/);
});

test('pages carry no inline style or script: the stylesheet is a static file', async () => {
  for (const url of ['/', '/apps/weather', '/search', '/publisher/sign-in', '/docs/api']) {
    const res = await store.app.inject(url);
    assert.equal(res.statusCode, 200, url);
    assert.doesNotMatch(res.body, /<script|<style|<[a-z][^>]*\s(?:style|on[a-z]+)=/i, url);
    assert.match(res.body, /<link rel="stylesheet" href="\/static\/skiff.css">/);
  }
  const css = await store.app.inject('/static/skiff.css');
  assert.equal(css.statusCode, 200);
  assert.match(css.body, /prefers-color-scheme: dark/);
});

test('an app page shows the channel map, the plugs and the install command', async () => {
  const res = await store.app.inject('/apps/weather');
  const info = (await store.app.inject('/v1/apps/weather')).json();
  const row = /<tr data-channel="latest\/stable">(.*?)<\/tr>/.exec(res.body)![1]!;
  const cells = [...row.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
  assert.deepEqual(cells.slice(0, 4), ['latest', 'stable', '1.0', '1']);
  assert.match(cells[4]!, /KiB/);
  assert.equal(cells[5], 'all');
  assert.equal(cells[6], info.channels['latest/stable'].released.slice(0, 10));
  assert.match(res.body, /<code>network<\/code>/);
  assert.match(res.body, /skiff install weather</);
  assert.match(res.body, /Shows the weather\./);
  assert.equal((await store.app.inject('/apps/nothing-here')).statusCode, 404);
});

test('a revision uploaded before the store kept manifests shows its description, read from its blob once', async () => {
  store.ctx.db.prepare("UPDATE revisions SET manifest = NULL WHERE app_id = (SELECT id FROM apps WHERE name = 'weather')").run();
  const res = await store.app.inject('/apps/weather');
  assert.match(res.body, /Shows the weather\./);
  const kept = store.ctx.db.prepare("SELECT manifest FROM revisions WHERE app_id = (SELECT id FROM apps WHERE name = 'weather')").get() as { manifest: string };
  assert.equal(JSON.parse(kept.manifest).description, 'Shows the weather.');
});

test('search pages through its results', async () => {
  const first = await store.app.inject('/search?q=notes');
  assert.match(first.body, /3 apps matching/);
  assert.deepEqual([...first.body.matchAll(/<h3><a href="\/apps\/([^"]+)"/g)].map((m) => m[1]), ['notes-a', 'notes-b']);
  assert.match(first.body, /<a rel="next" href="\/search\?q=notes&amp;page=2">/);
  const second = await store.app.inject('/search?q=notes&page=2');
  assert.deepEqual([...second.body.matchAll(/<h3><a href="\/apps\/([^"]+)"/g)].map((m) => m[1]), ['notes-c']);
  assert.doesNotMatch(second.body, /rel="next"/);
  assert.equal((await store.app.inject('/search?page=0')).statusCode, 400);
});

test('signing in sets an httpOnly, SameSite=Strict session cookie; Secure only behind TLS through a trusted proxy', async () => {
  const page = await store.app.inject('/publisher/sign-in');
  const form = { token: store.tokens.alice, _csrf: csrfIn(page.body) };
  const headers = { cookie: cookiesOf(page).header, 'x-forwarded-proto': 'https' };
  const plain = cookiesOf(await store.app.inject({ method: 'POST', url: '/publisher/sign-in', headers, payload: form })).attributes.get('skiff_session')!;
  assert.match(plain, /HttpOnly/);
  assert.match(plain, /SameSite=Strict/);
  assert.doesNotMatch(plain, /Secure/, 'a forwarded header from an untrusted peer is ignored');
  // The settings are read when the app is built: this one trusts one proxy.
  Object.assign(store.ctx.settings, { trustProxyHops: 1 });
  try {
    const behindTls = await buildApp(store.ctx);
    const p2 = await behindTls.inject({ url: '/publisher/sign-in', headers: { 'x-forwarded-proto': 'https' } });
    const res = await behindTls.inject({ method: 'POST', url: '/publisher/sign-in', headers: { cookie: cookiesOf(p2).header, 'x-forwarded-proto': 'https' }, payload: { token: store.tokens.alice, _csrf: csrfIn(p2.body) } });
    assert.match(cookiesOf(res).attributes.get('skiff_session')!, /; Secure/);
    assert.match(cookiesOf(p2).attributes.get('skiff_csrf')!, /; Secure/);
    await behindTls.close();
  } finally {
    Object.assign(store.ctx.settings, { trustProxyHops: 0 });
  }
  const wrong = await store.app.inject({ method: 'POST', url: '/publisher/sign-in', headers: { cookie: cookiesOf(page).header }, payload: { ...form, token: 'skiff_nope' } });
  assert.equal(wrong.statusCode, 401);
  assert.equal(cookiesOf(wrong).attributes.get('skiff_session'), undefined);
});

test('a publisher releases and closes through the pages, with the same rules as the API', async () => {
  const alice = await signIn(store.app, store.tokens.alice);
  assert.match((await store.app.inject({ url: '/publisher', headers: { cookie: alice.cookie } })).body, /href="\/publisher\/apps\/weather"/);
  const post = (path: string, payload: Record<string, string>) => store.app.inject({ method: 'POST', url: `/publisher/apps/weather/${path}`, headers: { cookie: alice.cookie }, payload: { _csrf: alice.csrf, ...payload } });
  assert.doesNotMatch((await store.app.inject('/apps/weather')).body, /data-channel="latest\/beta"/, 'rendered (and kept) before the release');
  const released = await post('release', { revision: '1', channel: 'beta' });
  assert.equal(released.statusCode, 303, released.body);
  assert.equal((await store.app.inject('/v1/apps/weather')).json().channels['latest/beta'].revision, 1);
  assert.match((await store.app.inject('/apps/weather')).body, /data-channel="latest\/beta"/, 'the kept page is not served after a change');
  const shown = await store.app.inject({ url: '/publisher/apps/weather', headers: { cookie: alice.cookie } });
  assert.match(shown.body, /Released revision 1 to latest\/beta\./);
  const bad = await post('release', { revision: '1', channel: 'stabel' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /&quot;stabel&quot; is not a channel/);
  assert.equal((await post('release', { revision: '9', channel: 'beta' })).statusCode, 404);
  assert.equal((await post('close', { channel: 'latest/beta' })).statusCode, 303);
  assert.equal((await store.app.inject('/v1/apps/weather')).json().channels['latest/beta'], undefined);
  assert.doesNotMatch((await store.app.inject('/apps/weather')).body, /data-channel="latest\/beta"/);
  assert.equal((await post('close', { channel: 'latest/beta' })).statusCode, 404);
});

test('another publisher can neither see nor change the apps of the first', async () => {
  const bob = await signIn(store.app, store.tokens.bob);
  const before = storeState(store);
  const view = await store.app.inject({ url: '/publisher/apps/weather', headers: { cookie: bob.cookie } });
  assert.equal(view.statusCode, 403);
  assert.match(view.body, /belongs to another publisher/);
  assert.doesNotMatch((await store.app.inject({ url: '/publisher', headers: { cookie: bob.cookie } })).body, /weather/);
  for (const [path, payload] of [['release', { revision: '1', channel: 'candidate' }], ['close', { channel: 'stable' }]] as const) {
    const res = await store.app.inject({ method: 'POST', url: `/publisher/apps/weather/${path}`, headers: { cookie: bob.cookie }, payload: { _csrf: bob.csrf, ...payload } });
    assert.equal(res.statusCode, 403, path);
  }
  assert.equal(storeState(store), before);
});

test('a form without its CSRF token, or sent after sign-out, is refused and changes nothing', async () => {
  const alice = await signIn(store.app, store.tokens.alice);
  const before = storeState(store);
  const release = (cookie: string, extra: Record<string, string>) => store.app.inject({
    method: 'POST', url: '/publisher/apps/weather/release', headers: { cookie }, payload: { revision: '1', channel: 'candidate', ...extra },
  });
  const noToken = await release(alice.cookie, {});
  assert.equal(noToken.statusCode, 400, 'the form schema wants _csrf');
  assert.equal((await release(alice.cookie, { _csrf: 'forged' })).statusCode, 403);
  const other = await store.app.inject('/publisher/sign-in');
  assert.equal((await release(alice.cookie, { _csrf: csrfIn(other.body) })).statusCode, 403, 'a token of another browser');
  const out = await store.app.inject({ method: 'POST', url: '/publisher/sign-out', headers: { cookie: alice.cookie }, payload: { _csrf: alice.csrf } });
  assert.equal(out.statusCode, 303);
  assert.match(cookiesOf(out).attributes.get('skiff_session')!, /Expires=Thu, 01 Jan 1970/);
  const after = await release(alice.cookie, { _csrf: alice.csrf });
  assert.equal(after.statusCode, 401, 'the old cookies and token, replayed');
  assert.equal(storeState(store), before);
  assert.equal((await store.app.inject({ url: '/publisher', headers: { cookie: alice.cookie } })).statusCode, 303);
});

test('the OpenAPI document names every operation, describes every response and the upload body; /docs/api renders it', async () => {
  const doc = (await store.app.inject('/v1/openapi.json')).json();
  const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, m]) => Object.entries(m).map(([method, op]) => ({ path, method, op })));
  assert.ok(ops.length >= 11);
  const ids = ops.map((o) => o.op.operationId);
  assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0), 'every operation has an operationId');
  assert.equal(new Set(ids).size, ids.length);
  for (const { path, method, op } of ops) {
    for (const [status, r] of Object.entries(op.responses as Record<string, { description: string }>)) {
      assert.notEqual(r.description, 'Default Response', `${method} ${path} ${status}`);
    }
  }
  assert.deepEqual(Object.keys(doc.components.schemas).sort(), ['AppInfo', 'ChannelMap', 'ErrorReply', 'PublisherKey', 'ReleaseReply', 'SearchReply', 'UploadReply']);
  assert.equal(doc.paths['/v1/apps/{name}'].get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/AppInfo');
  assert.equal(doc.paths['/v1/uploads'].post.requestBody.content['application/octet-stream'].schema.format, 'binary');
  assert.ok(!Object.keys(doc.paths).some((p) => !p.startsWith('/v1/') && p !== '/healthz'), 'pages and /repo are not in the API document');
  const page = await store.app.inject('/docs/api');
  for (const id of ids) assert.match(page.body, new RegExp(`id="${id}"`));
  assert.match(page.body, /<h3 id="schema-AppInfo">AppInfo<\/h3>/);
});
