import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { applyDelta, DeltaError, DELTA_MAGIC } from '../src';
import { tempDir } from './helpers';

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
  // Never reached: each delta is refused before its image part.
  const zstd = { compress: async (b: Buffer) => b, patch: (f: Buffer) => f };
  const opts = { timeoutMs: 10_000, sourceBundle: join(dir, 'none'), out: join(dir, 'out'), zstd };
  const header = Buffer.from(JSON.stringify({ source: digest, target: digest, ops: [{ op: 'file', path: '../escape', mode: 0o644, size: 1 }] }));
  const evil = zst('evil', Buffer.concat([Buffer.from(`${DELTA_MAGIC}${header.length}\n`), header, Buffer.from('x')]));
  await assert.rejects(applyDelta(evil, tree, opts), (e: unknown) => e instanceof DeltaError && /path refused/.test(e.message));
  symlinkSync('/tmp', join(tree, 'out'));
  const image = { level: 9, blockSize: 131072, pieces: [['bytes', 1]] };
  const via = Buffer.from(JSON.stringify({ source: digest, target: digest, ops: [{ op: 'file', path: 'out/x', mode: 0o644, size: 1 }], image }));
  const link = zst('link', Buffer.concat([Buffer.from(`${DELTA_MAGIC}${via.length}\n`), via, Buffer.from('x')]));
  await assert.rejects(applyDelta(link, tree, opts), /is not a folder/);
  await assert.rejects(applyDelta(zst('junk', Buffer.from('hello\n')), tree, opts), /not a Skiff delta/);
  cpSync(join(dir, 'junk'), join(dir, 'raw'));
  await assert.rejects(applyDelta(join(dir, 'raw'), tree, opts), /zstd failed/);
});
