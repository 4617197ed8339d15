// A delta's two parts end to end, without a device (no root needed): the store makes it from two real
// bundles, the device's steps (apply to the old tree, write the image from the old bundle's blocks and the
// new blocks compressed with libzstd) give the target bundle byte for byte; a damaged old bundle or a
// different zstd is caught, and a hostile image part is refused before anything is written.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { applyDelta, checkDeltaImage, hashFile, makeDelta, packBundle, DeltaError } from '@skiff/bundle';
import { zstdCompressBlock, zstdDecompressBlock, zstdMakePatch, zstdPatch } from '@skiff/native';

const work = mkdtempSync(join(tmpdir(), 'skiff-delta-image-'));
after(() => rmSync(work, { recursive: true, force: true }));
const zstd = { compress: zstdCompressBlock, decompress: zstdDecompressBlock, patch: zstdPatch, makePatch: zstdMakePatch };

function put(root: string, path: string, body: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), body);
  chmodSync(join(root, path), mode);
}

/** Two bundles: many small files (fragments), a large compressible file and an incompressible one (data blocks); B changes a few. */
async function twoBundles(label: string) {
  const app = join(work, label, 'app');
  cpSync(join(__dirname, '..', '..', '..', 'examples', 'hello'), app, { recursive: true });
  for (let i = 0; i < 300; i++) put(app, `lib/small/${String(i).padStart(3, '0')}.js`, `module.exports = ${i}; // ${'x'.repeat(i % 97)}\n`);
  const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${i * 7919 % 10007}`);
  put(app, 'lib/big.txt', lines.join('\n'));
  put(app, 'lib/random.bin', randomBytes(600_000));
  put(app, 'lib/gone.txt', 'gone\n');
  symlinkSync('big.txt', join(app, 'lib/link'));
  const a = await packBundle(app, join(work, label, 'a'));
  put(app, 'lib/small/150.js', 'module.exports = "changed";\n');
  lines[20_000] = 'an edited line';
  put(app, 'lib/big.txt', lines.join('\n'));
  rmSync(join(app, 'lib/gone.txt'));
  put(app, 'lib/added.txt', 'added\n', 0o755);
  const b = await packBundle(app, join(work, label, 'b'));
  return { a, b, dir: join(work, label) };
}

const extract = (bundle: string, dir: string) => execFileSync('unsquashfs', ['-quiet', '-no-progress', '-d', dir, bundle]);

test('the device steps turn the old bundle into the new one byte for byte, compressing only new blocks', async () => {
  const { a, b, dir } = await twoBundles('roundtrip');
  const delta = join(dir, 'a-b.delta');
  const stats = await makeDelta(a.path, b.path, delta, { workDir: dir, level: 19, timeoutMs: 120_000, zstd });
  assert.ok(stats.image.copiedBytes > 600_000, `the unchanged random file's blocks are copied (${stats.image.copiedBytes} bytes)`);
  assert.ok(stats.image.compressedBlocks >= 2, 'the edited file and its fragment are compressed anew');
  assert.ok(stats.size < b.size / 10, `the delta (${stats.size} bytes) is far smaller than the bundle (${b.size})`);
  const tree = join(dir, 'tree');
  extract(a.path, tree);
  const out = join(dir, 'rebuilt.skiff');
  const header = await applyDelta(delta, tree, { timeoutMs: 60_000, sourceBundle: a.path, out, zstd });
  assert.deepEqual(header.target, { size: b.size, sha256: b.sha256 });
  assert.deepEqual(header.ops.filter((o) => o.op === 'patch').map((o) => o.path), ['lib/big.txt'], 'a small edit of a large file goes as a patch');
  assert.deepEqual(await hashFile(out), { size: b.size, sha256: b.sha256 });
});

test('a small edit of a file over 16 MiB carries only its new blocks, not the file', async () => {
  const app = join(work, 'big', 'app');
  cpSync(join(__dirname, '..', '..', '..', 'examples', 'hello'), app, { recursive: true });
  const big = randomBytes(17 * 1024 * 1024);
  put(app, 'lib/big.bin', big);
  const a = await packBundle(app, join(work, 'big', 'a'));
  big.write('an edit in the middle', 9 * 1024 * 1024);
  put(app, 'lib/big.bin', Buffer.concat([big, Buffer.from('and a line at its end\n')]));
  const b = await packBundle(app, join(work, 'big', 'b'));
  const delta = join(work, 'big', 'a-b.delta');
  const stats = await makeDelta(a.path, b.path, delta, { workDir: join(work, 'big'), level: 19, timeoutMs: 120_000, zstd });
  assert.ok(stats.size < 1024 * 1024, `two changed blocks, not the 17 MiB file (${stats.size} bytes)`);
  const tree = join(work, 'big', 'tree');
  extract(a.path, tree);
  const out = join(work, 'big', 'rebuilt.skiff');
  await applyDelta(delta, tree, { timeoutMs: 60_000, sourceBundle: a.path, out, zstd });
  assert.deepEqual(await hashFile(out), { size: b.size, sha256: b.sha256 });
});

test('a damaged old bundle, or a zstd that compresses differently, does not give the signed bundle', async () => {
  const { a, b, dir } = await twoBundles('damaged');
  const delta = join(dir, 'a-b.delta');
  await makeDelta(a.path, b.path, delta, { workDir: dir, level: 19, timeoutMs: 120_000, zstd });
  // One byte of the old bundle flipped inside the random file's blocks, which the image part copies.
  const damaged = join(dir, 'damaged.skiff');
  cpSync(a.path, damaged);
  const at = readFileSync(damaged).indexOf(readFileSync(join(dir, 'app', 'lib', 'random.bin')).subarray(4096, 4160));
  assert.ok(at > 0, 'the random file is stored as it is');
  const fd = openSync(damaged, 'r+');
  writeSync(fd, Buffer.from([readFileSync(damaged)[at]! ^ 0xff]), 0, 1, at);
  closeSync(fd);
  const tree = join(dir, 'tree');
  extract(a.path, tree);
  await applyDelta(delta, tree, { timeoutMs: 60_000, sourceBundle: damaged, out: join(dir, 'from-damaged.skiff'), zstd });
  assert.notEqual((await hashFile(join(dir, 'from-damaged.skiff'))).sha256, b.sha256, 'the hash check is what catches it');
  // Another zstd level stands for another libzstd: a block of another length is refused at once.
  const tree2 = join(dir, 'tree2');
  extract(a.path, tree2);
  const other = { ...zstd, compress: (block: Buffer) => zstdCompressBlock(block, 1) };
  await assert.rejects(applyDelta(delta, tree2, { timeoutMs: 60_000, sourceBundle: a.path, out: join(dir, 'other.skiff'), zstd: other }),
    (e: unknown) => e instanceof DeltaError && /zstd differs/.test(e.message));
});

test('an image part that reads outside the tree or the old bundle, or makes another size, is refused', () => {
  const image = (pieces: unknown[]) => ({ level: 9, blockSize: 131072, pieces });
  assert.equal(checkDeltaImage(image([['copy', 0, 10], ['bytes', 5], ['zstd', 3, [['lib/a', 0, 10]]], ['raw', [[4]]]]), 10, 22).pieces.length, 4);
  const refused: [unknown, RegExp][] = [
    [image([['copy', 5, 10]]), /piece refused/],
    [image([['zstd', 10, [['../etc/passwd', 0, 10]]]]), /path refused/],
    [image([['raw', [['lib/a', 0, 200_000]]]]), /source refused/],
    [image([['bytes', 9]]), /makes 9 bytes, not the target's 10/],
    [image([['exec', 'sh']]), /piece refused/],
    [{ level: 9, blockSize: 1000, pieces: [] }, /lacks level, blockSize or pieces/],
  ];
  for (const [value, message] of refused) assert.throws(() => checkDeltaImage(value, 10, 10), (e: unknown) => e instanceof DeltaError && message.test(e.message), JSON.stringify(value));
});
