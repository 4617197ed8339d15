import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const skiff = join(__dirname, '..', '..', 'bin', 'skiff');

test('skiff --version prints the package version', () => {
  const r = spawnSync(process.execPath, [skiff, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), require('../../package.json').version);
});
