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

test('confinement is policy: it reads the host to plan, but never writes the device tree nor starts a process', () => {
  const { readFileSync, readdirSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const src = join(__dirname, '..', '..', '..', 'confinement', 'src');
  const reads = new Set(['existsSync', 'readdirSync', 'readFileSync', 'lstatSync', 'readlinkSync']);
  // The values a file imports from a module (`type` names and type-only imports are not values).
  const valuesFrom = (text: string, from: string): string[] =>
    [...text.matchAll(new RegExp(`import (?!type )([^;]*?) from '${from}'`, 'g'))].flatMap((m) => {
      const names = /^\{([^}]*)\}$/.exec(m[1]!.trim());
      return names ? names[1]!.split(',').map((n) => n.trim()).filter((n) => n && !n.startsWith('type ')) : [m[1]!.trim()];
    });
  for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(src, f), 'utf8');
    assert.ok(!/from 'node:(child_process|net|dgram)'/.test(text), `${f} starts no process and opens no socket`);
    for (const name of valuesFrom(text, 'node:fs')) assert.ok(reads.has(name), `${f} only reads files, yet imports ${name} from node:fs`);
    // The launch plan's limits are native's contract (ID_MAX); the only function it may call is the mountinfo parser.
    for (const name of valuesFrom(text, '@skiff/native')) assert.ok(['parseMountInfo', 'ID_MAX'].includes(name), `${f}: from native, only the mountinfo parser and the plan's limits (not ${name})`);
    assert.ok(!valuesFrom(text, '@skiff/bundle').includes('writeFileAtomic'), `${f} writes no file`);
  }
});
