import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir } from '../src/lock';
import { StoreSetupError } from '../src/errors';

test('one server per data folder: a live owner refuses, a dead one is taken over, unlock removes the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-lock-'));
  try {
    const pidFile = join(dir, 'serve.pid');
    writeFileSync(pidFile, `${process.ppid}\n`);
    assert.throws(() => lockDataDir(dir), (e: unknown) => e instanceof StoreSetupError && /another skiff-store serve/.test(e.message));

    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(pidFile, `${dead}\n`);
    const unlock = lockDataDir(dir);
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(process.pid));
    unlock();
    assert.equal(existsSync(pidFile), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
