import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { applyDelta, hashFile, makeDelta, packBundle, squashTree, DeltaError } from '../src';
import { helloCopy, put, tempDir } from './helpers';

/** Two bundles of hello: B adds, changes, removes, re-modes and re-links files of A. */
async function twoBundles() {
  const { app, out } = helloCopy();
  put(app, 'lib/keep.bin', randomBytes(300_000).toString('base64'));
  put(app, 'lib/change.txt', 'old\n');
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${randomBytes(6).toString('hex')}`);
  put(app, 'lib/edited.txt', lines.join('\n'));
  put(app, 'lib/gone/a.txt', 'a\n');
  put(app, 'lib/gone/deep/b.txt', 'b\n');
  put(app, 'lib/mode.sh', '#!/bin/sh\n', 0o644);
  put(app, 'lib/becomes-dir', 'file\n');
  symlinkSync('keep.bin', join(app, 'lib/link'));
  const a = await packBundle(app, join(out, 'a'));
  put(app, 'lib/change.txt', 'new content\n');
  lines[2500] = 'an edited line';
  put(app, 'lib/edited.txt', lines.join('\n'));
  rmSync(join(app, 'lib/gone'), { recursive: true });
  chmodSync(join(app, 'lib/mode.sh'), 0o755);
  rmSync(join(app, 'lib/becomes-dir'));
  put(app, 'lib/becomes-dir/inside.txt', 'inside\n');
  rmSync(join(app, 'lib/link'));
  symlinkSync('change.txt', join(app, 'lib/link'));
  mkdirSync(join(app, 'empty'), { mode: 0o750 });
  chmodSync(join(app, 'empty'), 0o750);
  put(app, 'lib/added.txt', 'added\n');
  const b = await packBundle(app, join(out, 'b'));
  return { a, b, top: out };
}

test('a delta applied to the source tree and re-packed gives the target bundle, byte for byte', async () => {
  const { a, b, top } = await twoBundles();
  const delta = join(top, 'a-b.delta');
  const stats = await makeDelta(a.path, b.path, delta, { workDir: tempDir(), level: 19, timeoutMs: 60_000 });
  assert.equal(stats.changedFiles, 4, 'change.txt, edited.txt, becomes-dir/inside.txt and added.txt');
  assert.ok(stats.size < 2000, `delta of a few small files is small (${stats.size} bytes)`);
  const tree = join(tempDir(), 'tree');
  execFileSync('unsquashfs', ['-quiet', '-no-progress', '-d', tree, a.path]);
  const header = await applyDelta(delta, tree, { timeoutMs: 60_000 });
  assert.deepEqual(header.target, { size: b.size, sha256: b.sha256 });
  assert.deepEqual(header.ops.filter((o) => o.op === 'patch').map((o) => o.path), ['lib/edited.txt'], 'a small edit of a large file goes as a patch');
  const rebuilt = join(top, 'rebuilt.skiff');
  await squashTree(tree, rebuilt, { memoryMiB: 32 }); // as a device rebuilds: -mem must not change a byte
  assert.equal((await hashFile(rebuilt)).sha256, b.sha256);
});

test('a delta whose path leaves the tree, or that is not a delta, is refused', async () => {
  const dir = tempDir();
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  const zst = (name: string, body: Buffer) => {
    writeFileSync(join(dir, name), body);
    execFileSync('zstd', ['-q', '-f', join(dir, name), '-o', join(dir, `${name}.zst`)]);
    return join(dir, `${name}.zst`);
  };
  const digest = { size: 1, sha256: '0'.repeat(64) };
  const header = Buffer.from(JSON.stringify({ source: digest, target: digest, ops: [{ op: 'file', path: '../escape', mode: 0o644, size: 1 }] }));
  const evil = zst('evil', Buffer.concat([Buffer.from(`SKIFF-DELTA 1\n${header.length}\n`), header, Buffer.from('x')]));
  await assert.rejects(applyDelta(evil, tree, { timeoutMs: 10_000 }), (e: unknown) => e instanceof DeltaError && /path refused/.test(e.message));
  symlinkSync('/tmp', join(tree, 'out'));
  const via = Buffer.from(JSON.stringify({ source: digest, target: digest, ops: [{ op: 'file', path: 'out/x', mode: 0o644, size: 1 }] }));
  const link = zst('link', Buffer.concat([Buffer.from(`SKIFF-DELTA 1\n${via.length}\n`), via, Buffer.from('x')]));
  await assert.rejects(applyDelta(link, tree, { timeoutMs: 10_000 }), /is not a folder/);
  await assert.rejects(applyDelta(zst('junk', Buffer.from('hello\n')), tree, { timeoutMs: 10_000 }), /not a Skiff delta/);
  cpSync(join(dir, 'junk'), join(dir, 'raw'));
  await assert.rejects(applyDelta(join(dir, 'raw'), tree, { timeoutMs: 10_000 }), /zstd failed/);
});
