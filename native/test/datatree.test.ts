import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { copyDataTree, removeDataTree, DataTreeError, DATA_TREE_MAX_DEPTH } from '../src';
import { needsRoot, tempDir, removeDir } from './helpers';

const APP = { uid: 61101, gid: 61102 };
const skip = needsRoot('chowns to an app uid');

/** Files owned by the app, as a running app leaves them in its data. */
function own(...paths: string[]): void {
  for (const p of paths) chownSync(p, APP.uid, APP.gid);
}

function nest(top: string, levels: number): string {
  let dir = top;
  for (let i = 0; i < levels; i++) { dir = join(dir, `d${i}`); mkdirSync(dir); own(dir); }
  return dir;
}

test('the wrappers refuse bad arguments with TypeErrors naming them', () => {
  const good = { dir: '/tmp', name: 'x' };
  assert.throws(() => copyDataTree({ dir: 'tmp', name: 'x' }, good, APP), /from.dir must be a normalised absolute path/);
  assert.throws(() => copyDataTree(good, { dir: '/tmp/../etc', name: 'x' }, APP), /to.dir must be a normalised absolute path/);
  assert.throws(() => copyDataTree({ dir: '/tmp', name: '../x' }, good, APP), /from.name must be one file name/);
  assert.throws(() => copyDataTree(good, { dir: '/tmp', name: '..' }, APP), /to.name must be one file name/);
  assert.throws(() => copyDataTree(good, good, { uid: 0, gid: 1 }), /owner.uid must be an integer from 1 .* never root/);
  assert.throws(() => copyDataTree(good, good, { uid: 1, gid: 1.5 }), /owner.gid must be an integer/);
  assert.throws(() => removeDataTree('/tmp', 'a/b'), /name must be one file name/);
  assert.throws(() => removeDataTree('/', 'x'), /dir must be a normalised absolute path other than \//);
  assert.throws(() => removeDataTree('/tmp', 'x', { maxDepth: DATA_TREE_MAX_DEPTH + 1 }), /opts.maxDepth must be an integer from 2 to 128/);
});

test('copyDataTree forces the app as owner, drops setuid/setgid, keeps modes, times and links', { skip }, () => {
  const dir = tempDir('copy');
  try {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'f'), 'data');
    chmodSync(join(src, 'sub', 'f'), 0o640);
    writeFileSync(join(src, 'tool'), '#!/bin/sh\n');
    symlinkSync('/etc/shadow', join(src, 'link'));
    own(src, join(src, 'sub'), join(src, 'sub', 'f'), join(src, 'tool'));
    lchownSync(join(src, 'link'), APP.uid, APP.gid);
    chmodSync(join(src, 'tool'), 0o6755);  // after the chown, which clears the bits
    chmodSync(join(src, 'sub'), 0o2750);
    utimesSync(join(src, 'sub', 'f'), 1_000_000, 1_234_567);
    const skipped = copyDataTree({ dir, name: 'src' }, { dir, name: 'dst' }, APP);
    assert.deepEqual(skipped, []);
    const d = (p: string) => lstatSync(join(dir, 'dst', p));
    assert.equal(readFileSync(join(dir, 'dst', 'sub', 'f'), 'utf8'), 'data');
    assert.equal(d('sub/f').mode & 0o7777, 0o640);
    assert.equal(d('tool').mode & 0o7777, 0o755, 'setuid and setgid dropped');
    assert.equal(d('sub').mode & 0o7777, 0o750, 'setgid dropped from a folder');
    assert.equal(d('').mode & 0o7777, 0o700, 'the top is the app\'s, closed');
    for (const p of ['', 'sub', 'sub/f', 'tool', 'link']) assert.deepEqual([d(p).uid, d(p).gid], [APP.uid, APP.gid], p);
    assert.equal(readlinkSync(join(dir, 'dst', 'link')), '/etc/shadow', 'a link is recreated, never followed');
    assert.equal(d('sub/f').mtimeMs, 1_234_567_000);
  } finally { removeDir(dir); }
});

test('copyDataTree skips sockets, fifos, entries not owned by the app and folders past the depth limit', { skip }, async () => {
  const dir = tempDir('skip');
  const server = createServer();
  try {
    const src = join(dir, 'src');
    mkdirSync(src);
    own(src);
    execFileSync('mkfifo', [join(src, 'fifo')]);
    await new Promise<void>((resolve) => server.listen(join(src, 'sock'), resolve));
    own(join(src, 'fifo'), join(src, 'sock'));
    writeFileSync(join(src, 'roots'), 'root only\n', { mode: 0o600 });
    writeFileSync(join(src, 'others'), 'another user\n');
    chownSync(join(src, 'others'), APP.uid + 1, APP.gid);
    const bottom = nest(src, 4);
    writeFileSync(join(bottom, 'deep'), 'deep');
    own(join(bottom, 'deep'));
    const skipped = copyDataTree({ dir, name: 'src' }, { dir, name: 'dst' }, APP, { maxDepth: 3 });
    const reasons = Object.fromEntries(skipped.map((s) => [s.path, s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['d0/d1/d2/d3', 'fifo', 'others', 'roots', 'sock']);
    assert.match(reasons.roots!, /owned by uid 0, not the app/);
    assert.match(reasons.others!, new RegExp(`owned by uid ${APP.uid + 1}`));
    assert.match(reasons['d0/d1/d2/d3']!, /deeper than 3 folders/);
    assert.match(reasons.fifo!, /not a file, folder or symlink/);
    assert.equal(existsSync(join(dir, 'dst', 'd0', 'd1', 'd2')), true);
    assert.equal(existsSync(join(dir, 'dst', 'd0', 'd1', 'd2', 'd3')), false);
  } finally { server.close(); removeDir(dir); }
});

test('copyDataTree refuses an existing destination and a source that is a symlink', { skip }, () => {
  const dir = tempDir('refuse');
  try {
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dst'));
    symlinkSync('/etc', join(dir, 'link'));
    assert.throws(() => copyDataTree({ dir, name: 'src' }, { dir, name: 'dst' }, APP),
      (e: unknown) => e instanceof DataTreeError && e.code === 'data-tree-failed' && e.step === 'mkdir_destination' && /File exists/.test(e.message));
    assert.throws(() => copyDataTree({ dir, name: 'link' }, { dir, name: 'new' }, APP),
      (e: unknown) => e instanceof DataTreeError && e.step === 'open_source' && [20, 40].includes(e.errno) /* ENOTDIR or ELOOP */);
    assert.equal(existsSync(join(dir, 'new')), false);
  } finally { removeDir(dir); }
});

test('removeDataTree deletes links without following them, trees deeper than its limit, and nothing when absent', { skip }, () => {
  const dir = tempDir('remove');
  try {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'keep me');
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    symlinkSync(outside, join(tree, 'to-outside'));
    const bottom = nest(tree, 40);
    symlinkSync(outside, join(bottom, 'deep-link'));
    writeFileSync(join(bottom, 'f'), 'x');
    removeDataTree(dir, 'tree', { maxDepth: 3 });
    assert.equal(existsSync(tree), false);
    assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'keep me');
    removeDataTree(dir, 'tree');  // absent: nothing to do
    symlinkSync(outside, join(dir, 'top-link'));
    removeDataTree(dir, 'top-link');
    assert.equal(existsSync(join(dir, 'top-link')), false);
    assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'keep me', 'a link at the top is unlinked, not followed');
  } finally { removeDir(dir); }
});
