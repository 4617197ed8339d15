import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('skiff-store --help runs', () => {
  const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'skiff-store'), '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /skiff-store/);
});
