import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashFile } from '../src';
import { tempDir } from './helpers';

test('hashFile gives size and sha256 of known vectors', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'abc'), 'abc');
  const d = await hashFile(join(dir, 'abc'));
  assert.equal(d.size, 3);
  assert.equal(d.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  writeFileSync(join(dir, 'empty'), '');
  assert.equal((await hashFile(join(dir, 'empty'))).sha256, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('hashFile streams a file larger than one read chunk and matches a one-shot hash', async () => {
  const file = join(tempDir(), 'big');
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(file, bytes);
  const d = await hashFile(file);
  assert.equal(d.size, bytes.length);
  assert.equal(d.sha256, createHash('sha256').update(bytes).digest('hex'));
  await assert.rejects(hashFile(join(tempDir(), 'missing')), /ENOENT/);
});
