// The tree rules on entry lists alone: the same code judges a folder at pack and an image at upload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRefusals, parseManifest, type BundleEntry } from '../src';

const manifest = parseManifest("name: tt\nversion: '1'\nsummary: s\napps:\n  t:\n    command: bin/t\n");
const base: BundleEntry[] = [
  { path: 'bin', type: 'dir', mode: 0o755, size: 0 },
  { path: 'bin/t', type: 'file', mode: 0o755, size: 1 },
  { path: 'meta', type: 'dir', mode: 0o755, size: 0 },
  { path: 'meta/app.yaml', type: 'file', mode: 0o644, size: 1 },
];
const link = (path: string, linkTarget: string): BundleEntry => ({ path, type: 'symlink', mode: 0o777, size: linkTarget.length, linkTarget });
const refusalsWith = (...extra: BundleEntry[]) => findRefusals(manifest, [...base, ...extra]);

test('a clean tree has no refusals', () => {
  assert.deepEqual(findRefusals(manifest, base), []);
});

test('symlinks are resolved inside the bundle only, through the bundle\'s own links', () => {
  assert.deepEqual(refusalsWith(link('a', 'bin/t'), link('bin/b', '../bin/./t'), link('c', 'nowhere/../bin')), []);
  assert.deepEqual(refusalsWith(link('bin/up', '..'), link('bin/deep', '../meta/../bin/t')), []);
  assert.match(refusalsWith(link('bin/out', '../..'))[0]?.reason ?? '', /leaves the bundle/);
  assert.match(refusalsWith(link('dot', '.'), link('bin/x', '../dot/../y'))[0]?.reason ?? '', /leaves the bundle/);
  const viaAbsolute = refusalsWith(link('abs', '/'), link('via', 'abs/etc'));
  assert.match(viaAbsolute.find((r) => r.path === 'abs')?.reason ?? '', /an absolute target leaves/);
  assert.match(viaAbsolute.find((r) => r.path === 'via')?.reason ?? '', /goes through abs -> \/, an absolute link/);
  assert.match(refusalsWith(link('empty', ''))[0]?.reason ?? '', /empty target/);
});

test('a command reached through an in-bundle symlink must end at an executable file', () => {
  const entries = base.map((e) => (e.path === 'bin/t' ? link('bin/t', 'real') : e));
  assert.match(findRefusals(manifest, entries)[0]?.reason ?? '', /missing from the bundle/);
  assert.deepEqual(findRefusals(manifest, [...entries, { path: 'bin/real', type: 'file', mode: 0o700, size: 1 }]), []);
  assert.match(findRefusals(manifest, [...entries, { path: 'bin/real', type: 'dir', mode: 0o755, size: 0 }])[0]?.reason ?? '', /is a dir, not an executable file/);
});

test('control characters in names, devices and special bits are refused; sticky and setgid folders are not', () => {
  assert.match(refusalsWith({ path: 'a\tb', type: 'file', mode: 0o644, size: 0 })[0]?.reason ?? '', /control character/);
  assert.match(refusalsWith({ path: 'sda', type: 'block', mode: 0o600, size: 0 })[0]?.reason ?? '', /block device node/);
  assert.deepEqual(refusalsWith({ path: 'shared', type: 'dir', mode: 0o3775, size: 0 }), []);
});

test('the manifest itself must be a regular file at meta/app.yaml', () => {
  const entries = base.filter((e) => e.path !== 'meta/app.yaml');
  assert.deepEqual(findRefusals(manifest, entries).map((r) => r.path), ['meta/app.yaml']);
  assert.match(findRefusals(manifest, [...entries, link('meta/app.yaml', '../x')])[0]?.reason ?? '', /symlink to \.\.\/x: leaves|regular file/);
});

test('an entry owned by anyone but root is refused, naming the file and its owner', () => {
  assert.deepEqual(refusalsWith({ path: 'lib', type: 'dir', mode: 0o755, size: 0, uid: 0, gid: 0 }), []);
  const byUser = refusalsWith({ path: 'lib/x', type: 'file', mode: 0o644, size: 1, uid: 1000, gid: 0 });
  assert.deepEqual(byUser.map((r) => r.path), ['lib/x']);
  assert.match(byUser[0]!.reason, /owned by uid 1000 gid 0: every file of a bundle must belong to root/);
  assert.match(refusalsWith({ path: 'lib/y', type: 'file', mode: 0o644, size: 1, uid: 0, gid: 50 })[0]?.reason ?? '', /uid 0 gid 50/);
});

test('a reserved app name is refused: bin would replace the device\'s wrapper folder', () => {
  for (const name of ['bin', 'store']) {
    const reserved = parseManifest(`name: ${name}\nversion: '1'\nsummary: s\napps:\n  t:\n    command: bin/t\n`);
    const refusals = findRefusals(reserved, base);
    assert.deepEqual(refusals.map((r) => r.path), ['meta/app.yaml']);
    assert.match(refusals[0]!.reason, new RegExp(`the name "${name}" is reserved`));
  }
});
