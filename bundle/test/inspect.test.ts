import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BundleFormatError, BundleRuleError, ManifestError, inspectBundle, packBundle, validateBundle } from '../src';
import { helloCopy, put, tempDir } from './helpers';

/** Builds an image straight with mksquashfs, bypassing pack's checks, as a hostile uploader could. */
function rawImage(dir: string, file: string): string {
  const r = spawnSync('mksquashfs', [dir, file, '-noappend', '-quiet', '-no-progress', '-all-root'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return file;
}

test('inspect reads the manifest and every entry (type, mode, size, link target) without mounting', async () => {
  const { app, out } = helloCopy();
  symlinkSync('hello', join(app, 'bin', 'hi'));
  const packed = await packBundle(app, out);
  const info = await inspectBundle(packed.path);
  assert.deepEqual(info.manifest, packed.manifest);
  assert.equal(info.sha256, packed.sha256);
  assert.equal(info.size, packed.size);
  const byPath = new Map(info.files.map((f) => [f.path, f]));
  const root = { uid: 0, gid: 0 };
  assert.deepEqual(byPath.get('bin'), { path: 'bin', type: 'dir', mode: 0o755, size: 0, ...root });
  assert.deepEqual(byPath.get('bin/hello'), { path: 'bin/hello', type: 'file', mode: 0o755, size: readFileSync(join(app, 'bin', 'hello')).length, ...root });
  assert.deepEqual(byPath.get('bin/hi'), { path: 'bin/hi', type: 'symlink', mode: 0o777, size: 5, linkTarget: 'hello', ...root });
  assert.equal(byPath.get('meta/app.yaml')?.mode, 0o644);
  assert.equal(info.files.length, 8);
});

test('names with spaces, arrows and non-ASCII survive the listing exactly', async () => {
  const { app, out } = helloCopy();
  put(app, 'data/a -> b', 'x');
  put(app, 'data/é ünïcode', 'y');
  symlinkSync('a -> b', join(app, 'data', 'link -> c'));
  const info = await inspectBundle((await packBundle(app, out)).path);
  const data = info.files.filter((f) => f.path.startsWith('data/')).map((f) => [f.path, f.type, f.linkTarget]);
  assert.deepEqual(data, [['data/a -> b', 'file', undefined], ['data/link -> c', 'symlink', 'a -> b'], ['data/é ünïcode', 'file', undefined]]);
});

test('a file that is not squashfs is refused clearly', async () => {
  const file = join(tempDir(), 'not-a-bundle.skiff');
  writeFileSync(file, 'just some text, long enough to have a header\n'.repeat(10));
  await assert.rejects(inspectBundle(file), (e: unknown) => e instanceof BundleFormatError && /not a Skiff bundle: no squashfs magic/.test(e.message));
  writeFileSync(file, '');
  await assert.rejects(inspectBundle(file), BundleFormatError);
  await assert.rejects(inspectBundle(join(tempDir(), 'missing.skiff')), (e: unknown) => e instanceof BundleFormatError && /cannot open/.test(e.message));
});

test('a truncated bundle is refused clearly', async () => {
  const { app, out } = helloCopy();
  // Random bytes do not compress, so the image is large enough to cut in the middle.
  put(app, 'data/noise', randomBytes(256 * 1024).toString('latin1'));
  const packed = await packBundle(app, out);
  const whole = readFileSync(packed.path);
  const cut = join(out, 'cut.skiff');
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  await assert.rejects(inspectBundle(cut), (e: unknown) => e instanceof BundleFormatError && /truncated: \d+ bytes, but its squashfs image needs \d+/.test(e.message));
  writeFileSync(cut, whole.subarray(0, 50));
  await assert.rejects(inspectBundle(cut), (e: unknown) => e instanceof BundleFormatError && /truncated: its squashfs superblock is incomplete/.test(e.message));
});

test('a damaged image (right size, garbage inside) is refused as unreadable', async () => {
  const { app, out } = helloCopy();
  put(app, 'data/noise', randomBytes(64 * 1024).toString('latin1'));
  const bytes = readFileSync((await packBundle(app, out)).path);
  // Keep the superblock, scramble the tables at the end of the image.
  const used = Number(bytes.readBigUInt64LE(40));
  randomBytes(used - 96 - 1024).copy(bytes, 96 + 1024);
  const file = join(out, 'damaged.skiff');
  writeFileSync(file, bytes);
  await assert.rejects(inspectBundle(file), BundleFormatError);
});

test('validateBundle refuses, as an upload would, what pack refuses', async () => {
  const cases: Array<[string, (app: string) => void, RegExp]> = [
    ['setuid', (app) => put(app, 'bin/su', 'x', 0o4755), /refused bin\/su: setuid file/],
    ['escaping symlink', (app) => symlinkSync('../../../etc/shadow', join(app, 'bin', 'shadow')), /refused bin\/shadow: symlink to \.\.\/\.\.\/\.\.\/etc\/shadow: leaves the bundle/],
    ['absolute symlink', (app) => symlinkSync('/etc', join(app, 'etc')), /refused etc: symlink to \/etc: an absolute target/],
    ['fifo', (app) => { spawnSync('mkfifo', [join(app, 'pipe')]); }, /refused pipe: a FIFO/],
    ['command not executable', (app) => chmodSync(join(app, 'bin', 'hello'), 0o644), /refused bin\/hello: not executable/],
  ];
  for (const [what, change, message] of cases) {
    const { app, out } = helloCopy();
    change(app);
    mkdirSync(out);
    const image = rawImage(app, join(out, `${what.replace(/ /g, '-')}.skiff`));
    await inspectBundle(image); // inspecting describes; it does not judge
    await assert.rejects(validateBundle(image), (e: unknown) => e instanceof BundleRuleError && message.test(e.message), what);
  }
});

test('a bundle whose manifest is a symlink, or missing, is refused without reading through the link', async () => {
  const { app, out } = helloCopy();
  mkdirSync(out);
  writeFileSync(join(app, 'real.yaml'), readFileSync(join(app, 'meta', 'app.yaml')));
  const fs = await import('node:fs');
  fs.rmSync(join(app, 'meta', 'app.yaml'));
  symlinkSync('../real.yaml', join(app, 'meta', 'app.yaml'));
  await assert.rejects(inspectBundle(rawImage(app, join(out, 'link.skiff'))), (e: unknown) => e instanceof ManifestError && /is a symlink, not a regular file/.test(e.message));
  fs.rmSync(join(app, 'meta', 'app.yaml'));
  await assert.rejects(inspectBundle(rawImage(app, join(out, 'none.skiff'))), (e: unknown) => e instanceof ManifestError && /has no meta\/app\.yaml/.test(e.message));
});

test('a name or link target with a newline cannot forge a listing line', async () => {
  const { app, out } = helloCopy();
  mkdirSync(out);
  put(app, 'bin/x\n-rwxr-xr-x 0', 'x');
  await assert.rejects(inspectBundle(rawImage(app, join(out, 'name.skiff'))), (e: unknown) => e instanceof BundleFormatError && /cannot read listing line/.test(e.message));
  const other = helloCopy();
  mkdirSync(other.out);
  symlinkSync('ok\n-rwxr-xr-x 0/0 1 1970-01-01 00:00 squashfs-root/bin/forged', join(other.app, 'bin', 'trick'));
  await assert.rejects(inspectBundle(rawImage(other.app, join(other.out, 'target.skiff'))), (e: unknown) => e instanceof BundleFormatError && /cannot read symlink line/.test(e.message));
});
