// The bundle verbs through the real `skiff` executable: exit codes, last lines, JSON, key files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const skiff = join(__dirname, '..', '..', 'bin', 'skiff');
const example = join(__dirname, '..', '..', '..', 'examples', 'hello');
const top = mkdtempSync(join(tmpdir(), 'skiff-cli-test-'));
after(() => rmSync(top, { recursive: true, force: true }));

// Keys and config go to a temporary XDG folder, never to the tester's home.
const env = { ...process.env, XDG_CONFIG_HOME: join(top, 'config'), HOME: join(top, 'home') };

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [skiff, ...args], { encoding: 'utf8', env, cwd: top });
}
const lastLine = (s: string) => s.trimEnd().split('\n').pop() ?? '';

test('skiff pack prints the bundle path as its last line; packing twice gives the same bytes', () => {
  const a = run('pack', example, '-o', join(top, 'a'));
  assert.equal(a.status, 0, a.stderr);
  assert.equal(lastLine(a.stdout), join(top, 'a', 'hello_1.2.skiff'));
  assert.match(a.stdout, /packed hello 1\.2: 2 apps/);
  const b = run('pack', example, '-o', join(top, 'b'));
  assert.equal(b.status, 0, b.stderr);
  assert.ok(readFileSync(lastLine(a.stdout)).equals(readFileSync(lastLine(b.stdout))));
});

test('skiff pack --json prints the result; a refused pack exits non-zero with one line and no file', () => {
  const j = run('pack', example, '-o', join(top, 'j'), '--json');
  assert.equal(j.status, 0, j.stderr);
  const r = JSON.parse(j.stdout) as { path: string; sha256: string; manifest: { name: string } };
  assert.equal(r.manifest.name, 'hello');
  assert.match(r.sha256, /^[0-9a-f]{64}$/);
  const app = join(top, 'broken');
  cpSync(example, app, { recursive: true });
  chmodSync(join(app, 'bin', 'hello'), 0o644);
  const bad = run('pack', app, '-o', join(top, 'broken-out'));
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'skiff: refused bin/hello: not executable (mode 0644); chmod +x it (command of app hello)\n');
  assert.equal(existsSync(join(top, 'broken-out')), false);
});

test('skiff inspect shows the manifest and files; --json gives the bundle info and validity', () => {
  const file = lastLine(run('pack', example, '-o', join(top, 'i')).stdout);
  const human = run('inspect', file);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /^name: +hello$/m);
  assert.match(human.stdout, /^apps: +hello \(bin\/hello, plugs: network\), hello\.report \(bin\/report\)$/m);
  assert.match(human.stdout, /^valid: +yes$/m);
  assert.match(human.stdout, /-rwxr-xr-x +\d+ +meta\/hooks\/check-health/);
  const json = run('inspect', file, '--json');
  assert.equal(json.status, 0, json.stderr);
  const info = JSON.parse(json.stdout) as { manifest: { version: string }; files: { path: string }[]; valid: boolean; sha256: string };
  assert.equal(info.manifest.version, '1.2');
  assert.equal(info.valid, true);
  assert.ok(info.files.some((f) => f.path === 'bin/report'));
});

test('skiff inspect of a non-squashfs file and of a truncated bundle: clear error, non-zero exit', () => {
  const text = join(top, 'text.skiff');
  writeFileSync(text, 'hello, I am not a bundle\n');
  const r = run('inspect', text);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `skiff: ${text} is not a Skiff bundle: no squashfs magic ('hsqs') at its start\n`);
  const j = run('inspect', text, '--json');
  assert.equal(j.status, 1);
  assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'bundle-unreadable');

  const file = lastLine(run('pack', example, '-o', join(top, 't')).stdout);
  const bytes = readFileSync(file);
  const cut = join(top, 'cut.skiff');
  writeFileSync(cut, bytes.subarray(0, Number(bytes.readBigUInt64LE(40)) - 1));
  const t = run('inspect', cut);
  assert.equal(t.status, 1);
  assert.match(t.stderr, /^skiff: .*cut\.skiff is truncated: \d+ bytes, but its squashfs image needs \d+\n$/);
});

test('skiff key create saves a 0600 key under $XDG_CONFIG_HOME/skiff/keys; key list shows its stable id', () => {
  const c = run('key', 'create', 'release');
  assert.equal(c.status, 0, c.stderr);
  const path = join(top, 'config', 'skiff', 'keys', 'release.json');
  assert.equal(lastLine(c.stdout), path);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const id = /key id: ([0-9a-f]{64})/.exec(c.stdout)?.[1];
  assert.ok(id, c.stdout);
  const again = run('key', 'create', 'release');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /a key named release already exists/);
  assert.equal(run('key', 'create', 'Bad_Name').status, 1);
  const list = run('key', 'list', '--json');
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { name: string; keyId: string }[]).map((k) => [k.name, k.keyId]), [['release', id]]);
  assert.match(run('key', 'list').stdout, new RegExp(`^release +${id} +${path}$`, 'm'));
});

test('every bundle verb has --help with an example', () => {
  for (const verb of [['pack'], ['inspect'], ['key'], ['key', 'create'], ['key', 'list']]) {
    const r = run(...verb, '--help');
    assert.equal(r.status, 0, `${verb.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Example:\n {2}\$ skiff /, verb.join(' '));
  }
});
