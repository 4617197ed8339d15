// A real headless Chromium (Debian's) for the store pages' tests, driven by playwright-core,
// with axe-core's accessibility check and screenshots kept with the test output.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium package (scripts/setup installs it). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where screenshots go: test/output/ (git-ignored), one folder per suite. */
export function screenshotDir(suite: string): string {
  const dir = join(__dirname, '..', '..', 'output', suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Why the browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `${CHROMIUM_PATH} is missing: install Debian's chromium (scripts/setup does)`;
}

export async function launchChromium(): Promise<Browser> {
  // Chromium's own sandbox refuses to start as root; the pages under test run no script anyway.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}

/** What a page did that it should not: dialogs opened, console errors, uncaught errors. Listened for from the start. */
export function watchMisbehaviour(page: Page): string[] {
  const seen: string[] = [];
  page.on('dialog', (d) => {
    seen.push(`dialog ${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => { if (m.type() === 'error') seen.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
  return seen;
}

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }

/**
 * axe-core's violations of the page as it is. axe is evaluated through the DevTools protocol, which
 * the page's Content-Security-Policy does not govern: the page itself still runs no script of its own.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const source = (require('axe-core') as { source: string }).source;
  await page.evaluate(source);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

/** The serious and critical ones, as lines for an assertion message. */
export function seriousViolations(violations: AxeViolation[]): string[] {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}
