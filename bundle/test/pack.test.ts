import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lchownSync, lstatSync, lutimesSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MKSQUASHFS_OPTIONS, hashFile, packBundle, inspectBundle } from '../src';
import { helloCopy, isRoot, put } from './helpers';

/** The folder and every path under it, without following symlinks. */
function walk(dir: string): string[] {
  const out = [dir];
  if (lstatSync(dir).isDirectory()) for (const n of readdirSync(dir)) out.push(...walk(join(dir, n)));
  return out;
}

test('the reproducible mksquashfs options of the bundle format are all used', () => {
  const opts = MKSQUASHFS_OPTIONS.join(' ');
  for (const o of ['-noappend', '-comp zstd', '-all-root', '-no-xattrs', '-mkfs-time 0', '-all-time 0']) assert.ok(opts.includes(o), o);
});

test('pack writes <name>_<version>.skiff, a zstd squashfs with mkfs time 0, and returns its digest', async () => {
  const { app, out } = helloCopy();
  const r = await packBundle(app, out);
  assert.equal(r.path, join(out, 'hello_1.2.skiff'));
  assert.deepEqual(readdirSync(out), ['hello_1.2.skiff'], 'no temporary file is left beside the bundle');
  const bytes = readFileSync(r.path);
  assert.equal(bytes.toString('latin1', 0, 4), 'hsqs');
  assert.equal(bytes.readUInt32LE(8), 0, 'mkfs time');
  assert.equal(bytes.readUInt16LE(20), 6, 'zstd compressor id');
  const d = await hashFile(r.path);
  assert.equal(r.sha256, d.sha256);
  assert.equal(r.size, d.size);
  assert.equal(r.manifest.name, 'hello');
});

test('packing the same tree twice gives byte-identical files, also after its mtimes change', async () => {
  const { app, out } = helloCopy();
  const first = await packBundle(app, join(out, 'a'));
  const again = await packBundle(app, join(out, 'b'));
  assert.equal(again.sha256, first.sha256);
  put(app, 'share/data.txt', 'some data\n');
  symlinkSync('../share/data.txt', join(app, 'bin', 'data'));
  const withData = await packBundle(app, join(out, 'c'));
  assert.notEqual(withData.sha256, first.sha256, 'a changed tree gives a different bundle');
  for (const p of walk(app)) {
    const when = new Date(Date.UTC(2001, 1, 3, 4, 5, 6));
    lutimesSync(p, when, when);
  }
  const touched = await packBundle(app, join(out, 'd'));
  assert.equal(touched.sha256, withData.sha256);
  assert.ok(readFileSync(touched.path).equals(readFileSync(withData.path)));
});

test('packing is byte-identical after the tree changes owners', { skip: isRoot ? false : 'chown to other users needs root; run the tests as root' }, async () => {
  const { app, out } = helloCopy();
  const before = await packBundle(app, join(out, 'a'));
  for (const p of walk(app)) {
    lchownSync(p, 1234, 5678);
  }
  assert.equal(statSync(join(app, 'bin', 'hello')).uid, 1234);
  const after = await packBundle(app, join(out, 'b'));
  assert.ok(readFileSync(after.path).equals(readFileSync(before.path)));
  const info = await inspectBundle(after.path);
  assert.ok(info.files.some((f) => f.path === 'bin/hello' && f.mode === 0o755));
});

test('a bundle folder that is 0700 (as mkdtemp makes it) gives the same bytes as one that is 0755', async () => {
  const { app, out } = helloCopy();
  const open = await packBundle(app, join(out, 'a'));
  chmodSync(app, 0o700);
  const closed = await packBundle(app, join(out, 'b'));
  assert.equal(closed.sha256, open.sha256);
});
