import { test } from 'node:test';
import assert from 'node:assert/strict';

test('every part loads', () => {
  for (const p of ['@skiff/bundle', '@skiff/native', '@skiff/confinement', '@skiff/store-server', '@skiff/client']) {
    assert.ok(require(p), p);
  }
});

test('the arrows between parts: native takes only the error tree of bundle, confinement never the client, the store never the client', () => {
  const { readFileSync, readdirSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const top = join(__dirname, '..', '..', '..');
  const imports = (part: string): string[] => readdirSync(join(top, part, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(join(top, part, 'src', f), 'utf8').matchAll(/from '(@skiff\/[^']+)'|require\('(@skiff\/[^']+)'\)/g)].map((m) => m[1] ?? m[2]!));
  assert.deepEqual([...new Set(imports('native'))], ['@skiff/bundle/errors'], 'native: mechanism, with the errors every part shares');
  for (const part of ['bundle', 'native', 'confinement', 'store-server']) {
    assert.ok(!imports(part).some((i) => i.startsWith('@skiff/client')), `${part} never imports the client`);
  }
  assert.ok(!imports('bundle').some((i) => i.startsWith('@skiff/')), 'bundle is the ground: it imports no other part');
  assert.ok(!imports('confinement').some((i) => i.startsWith('@skiff/store-server')), 'confinement never imports the store');
});
