import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestError, SkiffError } from '../src';

test('errors carry a stable code and are SkiffErrors', () => {
  const e = new ManifestError('name: must match ^[a-z0-9]', 'name', 1);
  assert.ok(e instanceof SkiffError);
  assert.equal(e.code, 'manifest-invalid');
  assert.equal(e.field, 'name');
  assert.equal(e.name, 'ManifestError');
});
