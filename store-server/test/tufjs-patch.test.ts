// The store and devices rely on patches/@tufjs+models+4.1.1.patch: maps built in linear time, same objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetadataKind } from '@tufjs/models';

const TOP = join(__dirname, '..', '..', '..');

test('every patch in patches/ is applied to node_modules (npm ci runs patch-package)', () => {
  const patches = readdirSync(join(TOP, 'patches')).filter((f) => f.endsWith('.patch'));
  assert.ok(patches.length > 0);
  for (const patch of patches) {
    const r = spawnSync('git', ['apply', '--check', '--reverse', join('patches', patch)], { cwd: TOP, encoding: 'utf8' });
    assert.equal(r.status, 0, `${patch} is not applied: ${r.stderr}`);
  }
});

test('the patched maps keep 4.1.1\'s objects: same keys in the same order, own __proto__ key, same bytes', () => {
  // 4.1.1 as published: Object.entries(...).reduce((acc, [k, v]) => ({ ...acc, [k]: v }), {}).
  const spread = (obj: object) => Object.entries(obj).reduce((acc, [k, v]) => ({ ...acc, [k]: v }), {});
  // JSON.parse, as a device reads the file: '__proto__' becomes an own key (an object literal would set the prototype).
  const meta = JSON.parse('{"b.json": {"version": 2}, "10": {"version": 3}, "__proto__": {"version": 4}, "a.json": {"version": 5}}');
  const common = { spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z' };
  const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, { signed: { _type: 'snapshot', ...common, meta: spread(meta) }, signatures: [] });
  assert.deepEqual(Object.keys(snapshot.signed.meta), Object.keys(spread(meta)));
  assert.equal(snapshot.signed.meta['__proto__']?.version, 4);
  assert.equal(JSON.stringify(snapshot.signed.toJSON().meta), JSON.stringify(spread(meta)));
  const targets = { 'apps/b/1.skiff': { length: 1, hashes: { sha256: 'ab'.repeat(32) } }, 'apps/a/1.skiff': { length: 2, hashes: { sha256: 'cd'.repeat(32) } } };
  const bin = Metadata.fromJSON(MetadataKind.Targets, { signed: { _type: 'targets', ...common, targets }, signatures: [] });
  assert.equal(JSON.stringify(bin.signed.toJSON().targets), JSON.stringify(spread(targets)));
});
