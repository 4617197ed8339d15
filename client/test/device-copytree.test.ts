import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyTree } from '../src/device/copytree';

test('copyTree keeps owners, modes, symlinks and times; skips a fifo', { skip: process.getuid?.() === 0 ? false : 'needs root to chown' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-copy-'));
  try {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub/deeper'), { recursive: true });
    writeFileSync(join(src, 'sub/deeper/f'), 'data');
    chmodSync(join(src, 'sub/deeper/f'), 0o640);
    chmodSync(join(src, 'sub'), 0o2750);
    symlinkSync('sub/deeper/f', join(src, 'link'));
    for (const p of ['', 'sub', 'sub/deeper', 'sub/deeper/f']) chownSync(join(src, p), 600123, 600123);
    spawnSync('mkfifo', [join(src, 'pipe')]);
    const skipped = copyTree(src, join(dir, 'dest'));
    assert.deepEqual(skipped, [join(src, 'pipe')]);
    const d = (p: string) => lstatSync(join(dir, 'dest', p));
    assert.equal(readFileSync(join(dir, 'dest/sub/deeper/f'), 'utf8'), 'data');
    assert.equal(d('sub/deeper/f').mode & 0o7777, 0o640);
    assert.equal(d('sub').mode & 0o7777, 0o2750);
    assert.equal(d('sub/deeper/f').uid, 600123);
    assert.equal(d('').gid, 600123);
    assert.equal(readlinkSync(join(dir, 'dest/link')), 'sub/deeper/f');
    assert.ok(Math.abs(d('sub/deeper/f').mtimeMs - lstatSync(join(src, 'sub/deeper/f')).mtimeMs) < 1, 'mtime kept');
    assert.ok(!existsSync(join(dir, 'dest/pipe')));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
