#!/usr/bin/env node
// Runs every compiled test file of every part with node's built-in test runner.
// Node 20's --test takes no globs, so the files are listed here. Usage: run-tests.mjs [part...]
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const parts = process.argv.slice(2).length ? process.argv.slice(2)
  : ['bundle', 'native', 'confinement', 'store-server', 'client', 'test'];
const files = [];
for (const part of parts) {
  const dir = join(top, part, 'dist', 'test');
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.js')) files.push(join(dir, f));
}
if (files.length === 0) { console.error('run-tests: no compiled tests found; run `npm run build` first'); process.exit(1); }
// One file at a time: the tests share loop devices, cgroups and ports, and the box has two cores.
const run = (list, env = {}) => spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...list],
  { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;
// The main device suites run a second time through a real skiffd (test/src/device-fixture.ts TRANSPORT): same assertions.
const THROUGH_AGENT = ['device-cycle', 'device-blocks', 'device-hooks', 'device-abort', 'device-store-info', 'services-refresh'].map((f) => `${f}.test.js`);
const again = files.filter((f) => f.includes(`${join('test', 'dist', 'test')}`) && THROUGH_AGENT.some((name) => f.endsWith(name)));
const status = run(files);
process.exit(again.length && run(again, { SKIFF_TEST_TRANSPORT: 'agent' }) !== 0 ? 1 : status);
