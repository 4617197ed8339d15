import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const skiffBin = join(__dirname, '..', '..', 'bin', 'skiff');
const isRoot = process.getuid?.() === 0;
const run = (root: string, args: string[], prefix: string[] = []) => {
  const [cmd, ...rest] = [...prefix, process.execPath, skiffBin, '--root', root, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8' });
};

test('config get/set through the CLI, with the range refused in one line', { skip: isRoot ? false : 'needs root' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cli-'));
  try {
    assert.equal(run(root, ['config', 'get', 'refresh.retain']).stdout.trim(), '2');
    assert.equal(run(root, ['config', 'set', 'refresh.retain', '4']).status, 0);
    assert.equal(run(root, ['config', 'get', 'refresh.retain']).stdout.trim(), '4');
    const bad = run(root, ['config', 'set', 'refresh.retain', '50']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, 'skiff: refresh.retain must be an integer from 2 to 20, not "50"\n');
    const json = run(root, ['info', 'nothing', '--json']);
    assert.equal(json.status, 1);
    assert.deepEqual(JSON.parse(json.stdout), { error: { code: 'not-installed', message: 'nothing is not installed' } });
    // A root never set up says so, rather than "No apps installed." (which would hide a wrong --root).
    assert.equal(JSON.parse(run(root, ['list', '--json']).stdout).error.code, 'not-set-up');
    assert.equal(run(root, ['tasks', '42']).stderr, 'skiff: no change with id 42\n');
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('setup refuses a missing or invalid trust file in one line and creates nothing', { skip: isRoot ? false : 'needs root' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cli-'));
  try {
    const missing = run(root, ['setup', '--store', 'http://127.0.0.1:8080', '--trust', join(root, 'root.json')]);
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, `skiff: cannot read ${join(root, 'root.json')} (ENOENT): --trust takes the root.json path that \`skiff-store init\` prints last\n`);
    writeFileSync(join(root, 'root.json'), '{"signed": {}}');
    const invalid = run(root, ['setup', '--store', 'http://127.0.0.1:8080', '--trust', join(root, 'root.json')]);
    assert.equal(invalid.status, 1);
    assert.equal(invalid.stderr, 'skiff: the root metadata given to trust is not a valid, self-signed TUF root\n');
    assert.deepEqual(readdirSync(root), ['root.json'], 'nothing was created under the root');
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('without root every device verb says so in one line', { skip: isRoot ? false : 'needs root to drop to nobody' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cli-'));
  try {
    for (const args of [['install', 'hello'], ['list'], ['refresh'], ['boot']]) {
      const r = run(root, args, ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^skiff: skiff \w+ needs root: .*\n$/);
    }
  } finally { rmSync(root, { recursive: true, force: true }); }
});
