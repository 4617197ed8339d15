// The store's pages in a real headless Chromium, against a real `skiff-store serve` on 127.0.0.1 with
// real published bundles: search, an app's channel map, the publisher area, CSRF, hostile manifests,
// and axe-core's accessibility check. Screenshots: test/output/store-pages/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { packTestBundle } from '../src/store-fixtures';
import { publishBundle, runStoreCli, startStore, type RunningStore } from '../src/store';
import { axeViolations, browserMissing, launchChromium, screenshotDir, seriousViolations, watchMisbehaviour } from '../src/browser';

const skip = browserMissing() ?? false;
const HOSTILE_SUMMARY = '<script>alert(1)</script>"><img src=x onerror=alert(2)>';
const HOSTILE_DESCRIPTION = 'Hello <script>alert(3)</script>\n\n"><img src=x onerror=alert(4)> [click me](javascript:alert(5)) <a href="javascript:alert(6)">or me</a>';

let store: RunningStore;
let work: string;
let browser: Browser;
let bobToken: string;
const shots = screenshotDir('store-pages');

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'skiff-pages-browser-'));
  store = await startStore({ account: 'alice' });
  bobToken = runStoreCli(['account', 'add', 'bob', '--data', store.dataDir]).at(-1)!.trim();
  const pack = (opts: Parameters<typeof packTestBundle>[1]) => packTestBundle(work, opts).then((b) => b.path);
  await publishBundle(store, await pack({ name: 'weather', version: '1.0', summary: 'Weather at a glance', description: 'Forecasts for the next days.', plugs: ['network'] }), { channel: 'stable' });
  await publishBundle(store, await pack({ name: 'weather', version: '1.1', summary: 'Weather at a glance', description: 'Forecasts, now hourly.', plugs: ['network'] }));
  await publishBundle(store, await pack({ name: 'hostile', summary: HOSTILE_SUMMARY, description: HOSTILE_DESCRIPTION }), { channel: 'stable' });
  await publishBundle(store, await pack({ name: 'bobs-tool', summary: 'A tool of bob' }), { channel: 'edge', token: bobToken });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await store?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh browser profile whose pages are watched for dialogs and console errors. */
async function openPage(): Promise<{ context: BrowserContext; page: Page; misbehaviour: string[] }> {
  const context = await browser.newContext({ javaScriptEnabled: true });
  const page = await context.newPage();
  return { context, page, misbehaviour: watchMisbehaviour(page) };
}

/** The channel map of /apps/NAME as the browser shows it: channel → the cells of its row. */
async function channelMap(page: Page, name: string): Promise<Record<string, string[]>> {
  await page.goto(`${store.url}/apps/${name}`);
  const rows = await page.locator('table.channels tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-channel') ?? '', [...tr.children].map((c) => c.textContent ?? '')] as const));
  return Object.fromEntries(rows);
}

/** axe-core finds no serious or critical violation, in light and in dark mode; a screenshot of each, and one narrow. */
async function checkPage(page: Page, shot: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(seriousViolations(await axeViolations(page)), [], `${shot} (${scheme})`);
    await page.screenshot({ path: join(shots, `${shot}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  // And as a phone shows it.
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(shots, `${shot}-narrow.png`), fullPage: true });
  await page.setViewportSize(size);
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${store.url}/publisher`);
  assert.match(page.url(), /\/publisher\/sign-in$/);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/publisher$/);
}

const apiChannels = async (name: string) => ((await (await fetch(`${store.url}/v1/apps/${name}`)).json()) as { channels: Record<string, { revision: number }> }).channels;

test('find an app by search, read its channel map; the publisher releases to beta, sees the page change, signs out', { skip }, async () => {
  const { context, page, misbehaviour } = await openPage();
  try {
    await page.goto(store.url);
    await checkPage(page, 'home');
    await page.getByLabel('Search apps').fill('weather');
    await page.getByLabel('Search apps').press('Enter');
    await page.waitForURL(/\/search\?q=weather/);
    await checkPage(page, 'search');
    await page.getByRole('link', { name: 'weather', exact: true }).click();
    await page.waitForURL(/\/apps\/weather$/);
    await checkPage(page, 'app');
    const before = await channelMap(page, 'weather');
    assert.deepEqual(Object.keys(before), ['latest/stable']);
    assert.deepEqual(before['latest/stable']!.slice(0, 4), ['latest', 'stable', '1.0', '1']);
    assert.equal(before['latest/stable']![5], 'all');
    assert.match(await page.locator('#main').innerText(), /network[\s\S]*skiff install weather/);

    await signIn(page, store.token);
    await checkPage(page, 'publisher');
    await page.getByRole('link', { name: 'weather' }).click();
    await page.waitForURL(/\/publisher\/apps\/weather$/);
    await page.getByLabel('Revision', { exact: true }).selectOption('2');
    await page.getByLabel('Channel', { exact: true }).fill('beta');
    await page.getByRole('button', { name: 'Release' }).click();
    await page.waitForURL(/\/publisher\/apps\/weather$/);
    assert.equal(await page.getByRole('status').innerText(), 'Released revision 2 to latest/beta.');
    await checkPage(page, 'publisher-app');

    const after = await channelMap(page, 'weather');
    assert.deepEqual(after['latest/beta']!.slice(0, 4), ['latest', 'beta', '1.1', '2']);
    assert.deepEqual(after['latest/stable']!.slice(0, 4), ['latest', 'stable', '1.0', '1']);
    assert.match(await page.locator('#main').innerText(), /skiff install weather --channel latest\/beta/);
    await checkPage(page, 'app-after-release');

    await page.goto(`${store.url}/publisher`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${store.url}/`);
    await page.goto(`${store.url}/publisher`);
    assert.match(page.url(), /\/publisher\/sign-in$/, 'signed out: the area asks to sign in again');
    await checkPage(page, 'sign-in');
    assert.deepEqual(misbehaviour, []);
  } finally {
    await context.close();
  }
});

test('a second publisher can neither see nor act on the first one\'s apps', { skip }, async () => {
  const { context, page } = await openPage();
  try {
    await signIn(page, bobToken);
    const mine = await page.locator('#main ul.apps a').allInnerTexts();
    assert.deepEqual(mine, ['bobs-tool']);
    const view = await page.goto(`${store.url}/publisher/apps/weather`);
    assert.equal(view!.status(), 403);
    assert.match(await page.getByRole('alert').innerText(), /belongs to another publisher/);
    await checkPage(page, 'forbidden');
    // Bob's own release form, pointed at alice's app.
    const channels = await apiChannels('weather');
    await page.goto(`${store.url}/publisher/apps/bobs-tool`);
    await page.locator('form[action$="/release"]').evaluate((f) => f.setAttribute('action', '/publisher/apps/weather/release'));
    await page.getByLabel('Channel', { exact: true }).fill('candidate');
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Release' }).click()]);
    assert.equal(res.status(), 403);
    assert.deepEqual(await apiChannels('weather'), channels);
  } finally {
    await context.close();
  }
});

test('a form posted without its CSRF token, or after sign-out, is refused', { skip }, async () => {
  const { context, page } = await openPage();
  try {
    await signIn(page, store.token);
    const channels = await apiChannels('weather');
    const submitRelease = async (channel: string) => {
      await page.getByLabel('Channel', { exact: true }).fill(channel);
      const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Release' }).click()]);
      return res.status();
    };
    await page.goto(`${store.url}/publisher/apps/weather`);
    await page.locator('form[action$="/release"] input[name="_csrf"]').evaluate((i) => i.remove());
    assert.equal(await submitRelease('candidate'), 400);
    await page.goto(`${store.url}/publisher/apps/weather`);
    await page.locator('form[action$="/release"] input[name="_csrf"]').evaluate((i) => i.setAttribute('value', 'forged'));
    assert.equal(await submitRelease('candidate'), 403);
    await checkPage(page, 'csrf-refused');

    // Signed out in a second tab; the first still shows the form, token and all.
    await page.goto(`${store.url}/publisher/apps/weather`);
    const other = await context.newPage();
    await other.goto(`${store.url}/publisher`);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.waitForURL(`${store.url}/`);
    const status = await submitRelease('candidate');
    assert.ok(status === 401 || status === 403, `refused after sign-out, got ${status}`);
    assert.deepEqual(await apiChannels('weather'), channels);
  } finally {
    await context.close();
  }
});

test('hostile manifest text renders as text: the browser runs none of it', { skip }, async () => {
  const { context, page, misbehaviour } = await openPage();
  try {
    for (const url of [`/apps/hostile`, '/', '/search?q=script']) {
      await page.goto(`${store.url}${url}`);
      assert.equal(await page.locator('#main img, #main script, #main a[href^="javascript:"]').count(), 0, url);
    }
    await page.goto(`${store.url}/apps/hostile`);
    assert.equal(await page.locator('#main .summary').innerText(), HOSTILE_SUMMARY);
    const description = await page.locator('#main .description').innerText();
    for (const bit of ['<script>alert(3)</script>', '"><img src=x onerror=alert(4)>', '[click me](javascript:alert(5))', '<a href="javascript:alert(6)">or me</a>']) {
      assert.ok(description.includes(bit), `shown as text: ${bit}`);
    }
    await checkPage(page, 'hostile');
    assert.deepEqual(misbehaviour, [], 'no dialog, no console error');
  } finally {
    await context.close();
  }
});

test('the keyboard reaches everything in reading order, starting with a skip link', { skip }, async () => {
  const { context, page } = await openPage();
  try {
    await page.goto(store.url);
    const focused: string[] = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => {
        const el = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string | null; getAttribute(n: string): string | null } } }).document.activeElement;
        return `${el.tagName.toLowerCase()} ${el.getAttribute('name') ?? el.textContent?.trim()}`;
      }));
    }
    assert.deepEqual(focused, ['a Skip to content', 'a Skiff store', 'a All apps', 'a API', 'a Publisher area', 'input q', 'button Search']);
    await page.goto(store.url);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id), 'main', 'the skip link moves focus to the content');
  } finally {
    await context.close();
  }
});

test('the API docs page renders the OpenAPI document', { skip }, async () => {
  const { context, page, misbehaviour } = await openPage();
  try {
    await page.goto(`${store.url}/docs/api`);
    assert.ok(await page.getByRole('heading', { name: 'GET /v1/apps/{name}' }).isVisible());
    assert.match(await page.locator('#main').innerText(), /operationId getApp/);
    await checkPage(page, 'api-docs');
    assert.deepEqual(misbehaviour, []);
  } finally {
    await context.close();
  }
});
