import { test } from 'node:test';
import assert from 'node:assert/strict';

test('every part loads', () => {
  for (const p of ['@skiff/bundle', '@skiff/native', '@skiff/confinement', '@skiff/store-server', '@skiff/client']) {
    assert.ok(require(p), p);
  }
});
