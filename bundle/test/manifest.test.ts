import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, parseManifest, parseSize } from '../src';
import { EXAMPLE_HELLO } from './helpers';

const GOOD = `name: hello
version: '1.2'
summary: Says hello
apps:
  hello:
    command: bin/hello
`;

/** Parses text expected to fail; returns the ManifestError. */
function refused(text: string): ManifestError {
  try {
    parseManifest(text);
  } catch (err) {
    assert.ok(err instanceof ManifestError, `expected a ManifestError, got ${String(err)}`);
    return err;
  }
  assert.fail(`accepted:\n${text}`);
}

test('the example manifest (examples/hello) parses, with hooks normalised to objects', () => {
  const m = parseManifest(readFileSync(join(EXAMPLE_HELLO, 'meta', 'app.yaml'), 'utf8'));
  assert.equal(m.name, 'hello');
  assert.equal(m.version, '1.2');
  assert.deepEqual(m.apps.hello, { command: 'bin/hello', plugs: ['network'] });
  assert.deepEqual(m.hooks, { 'check-health': {} });
  assert.deepEqual(m.resources, { memory: '64M', pids: 64, cpu: 0.5 });
  assert.deepEqual(parseManifest(`${GOOD}hooks:\n  install:\n`).hooks, { install: {} });
});

test('an error names the field, the reason and the YAML line', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    [GOOD.replace('name: hello', 'name: Hello'), 'name', 1, /lowercase letters, digits and single dashes/],
    [GOOD.replace('name: hello', 'name: h--i'), 'name', 1, /single dashes/],
    [GOOD.replace('name: hello', 'name: h'), 'name', 1, /2-40/],
    [GOOD.replace("version: '1.2'", 'version: 1.2'), 'version', 2, /quote numbers/],
    [GOOD.replace('command: bin/hello', 'command: /bin/hello'), 'apps.hello.command', 6, /relative path/],
    [GOOD.replace('command: bin/hello', 'command: bin/../../x'), 'apps.hello.command', 6, /'\.\.'/],
    [GOOD.replace('command: bin/hello', 'comand: bin/hello'), 'apps.hello.comand', 6, /not a known field/],
    [GOOD.replace('  hello:', '  Hello:'), 'apps.Hello', 5, /not a valid name/],
    [`${GOOD}hooks:\n  check_health: {}\n`, 'hooks.check_health', 8, /not a known field/],
    [`${GOOD}resources:\n  memory: 64MB\n`, 'resources.memory', 8, /size like 64M/],
    [`${GOOD}resources:\n  pids: 1.5\n`, 'resources.pids', 8, /integer/],
    [`${GOOD}resources:\n  cpu: 0\n`, 'resources.cpu', 8, /above 0/],
    [`${GOOD}plugs: network\n`, 'plugs', 7, /list/],
    [GOOD.replace('summary: Says hello\n', ''), 'summary', 1, /is required/],
  ];
  for (const [text, field, line, reason] of cases) {
    const e = refused(text);
    assert.equal(e.field, field, e.message);
    assert.equal(e.line, line, e.message);
    assert.match(e.message, reason);
    assert.ok(e.message.includes(`${field} (line ${line})`), e.message);
  }
});

test('YAML syntax errors, duplicate keys and non-maps are refused with a line', () => {
  assert.equal(refused('name: hello\napps: [\n').line, 3);
  assert.match(refused('name: hello\nname: again\n').message, /line 2.*unique/);
  assert.match(refused('- a list\n').message, /must be a YAML map/);
  assert.match(refused('').message, /must be a YAML map/);
});

test('an alias bomb is refused instead of expanded', () => {
  const rows = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 12; i++) rows.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  assert.match(refused(rows.join('\n') + '\n').message, /not valid YAML|alias/i);
});

test('parseSize reads K, M and G as powers of 1024 and refuses the rest', () => {
  assert.equal(parseSize('64M'), 64 * 1024 * 1024);
  assert.equal(parseSize('512K'), 512 * 1024);
  assert.equal(parseSize('2G'), 2 * 1024 ** 3);
  assert.equal(parseSize('4096'), 4096);
  for (const bad of ['64MB', '1.5G', '-1M', 'M', '', '0M', '64m']) {
    assert.throws(() => parseSize(bad), ManifestError, bad);
  }
});

test('manifest-check.ts is what bundle/scripts/gen-manifest-check.mjs makes from the current schema', async () => {
  const gen = join(__dirname, '..', '..', 'scripts', 'gen-manifest-check.mjs');
  const { manifestCheckSource } = await import(gen) as { manifestCheckSource(): string };
  const committed = readFileSync(join(__dirname, '..', '..', 'src', 'manifest-check.ts'), 'utf8');
  assert.equal(committed, manifestCheckSource(), 'stale: run `npx tsc --build bundle && node bundle/scripts/gen-manifest-check.mjs`');
});

test('the generated check gives the same answer as TypeBox Value.Check, valid and refused alike', () => {
  const docs: unknown[] = [
    { name: 'hello', version: '1.2', summary: 'Says hello', apps: { hello: { command: 'bin/hello' } } },
    { name: 'hello', version: '1.2', summary: 'x', apps: { a: { command: 'bin/a', plugs: ['network', 'network'] } } },
    { name: 'hello', version: '1.2', summary: 'x', apps: { a: { command: 'bin/a', plugs: ['network', 'network-bind'] } } },
    { name: 'hello', version: '1.2', summary: 'x', apps: { a: { command: 'bin/a', plugs: [1] } } },
    { name: 'hello', version: '1.2', summary: 'x', apps: {} },
    { name: 'hello', version: '1.2', summary: 'x', apps: { a: { command: 'bin/a' } }, resources: { memory: '64M', pids: 64, cpu: 0.5 } },
    { name: 'hello', version: '1.2', summary: 'x', apps: { a: { command: 'bin/a' } }, resources: { cpu: 65 } },
    { name: 'hello', version: '1.2', summary: 'x', apps: { a: { command: 'bin/a' } }, extra: true },
    { name: 'hello', version: '1.2', summary: 'x', apps: { a: { command: 'bin/a' } }, hooks: { 'check-health': {} } },
    { name: 'hello', version: 1.2, summary: 'x', apps: { a: { command: 'bin/a' } } },
  ];
  const { checkManifest } = require('../src/manifest-check') as typeof import('../src/manifest-check');
  const { Value } = require('@sinclair/typebox/value') as typeof import('@sinclair/typebox/value');
  const { ManifestSchema } = require('../src/manifest-schema') as typeof import('../src/manifest-schema');
  const answers = docs.map((d) => checkManifest(d));
  assert.deepEqual(answers, docs.map((d) => Value.Check(ManifestSchema, d)));
  assert.ok(answers.includes(true) && answers.includes(false), 'the cases cover both answers');
});
