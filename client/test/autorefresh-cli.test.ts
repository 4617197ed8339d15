// refresh.timer, refresh.hold, --hold, --unhold and --time through the real CLI: bad input is one line and changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REFRESH_TIMER } from '../src/device/autorefresh/schedule';

const skiffBin = join(__dirname, '..', '..', 'bin', 'skiff');
const isRoot = process.getuid?.() === 0;
const run = (root: string, args: string[]) => spawnSync(process.execPath, [skiffBin, '--root', root, ...args], { encoding: 'utf8' });
const times = (root: string) => JSON.parse(run(root, ['refresh', '--time', '--json']).stdout) as { timer: string; last: null; next: string; holds: unknown };

test('refresh.timer and the holds through the CLI', { skip: isRoot ? false : 'needs root' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cli-'));
  try {
    assert.equal(times(root).timer, DEFAULT_REFRESH_TIMER);
    assert.equal(times(root).last, null);
    const bad = run(root, ['config', 'set', 'refresh.timer', 'mon,25:00']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^skiff: refresh.timer is not a timer \("25:00" is not a time from 00:00 to 23:59; the grammar: .*mon-fri,02:00-04:00.*\), not "mon,25:00"\n$/);
    assert.equal(run(root, ['config', 'set', 'refresh.timer', 'mon-fri,02:00-04:00']).status, 0);
    const t = times(root);
    assert.equal(t.timer, 'mon-fri,02:00-04:00');
    assert.match(new Date(t.next).toString(), /^(Mon|Tue|Wed|Thu|Fri) .* 02:00:00/, 'the start of the next weekday window');

    assert.equal(run(root, ['refresh', '--hold=2w']).stdout.trim().startsWith('every app: automatic refresh held until 20'), true);
    const all = (times(root).holds as { all: string }).all;
    assert.ok(Date.parse(all) > Date.now() + 13 * 86_400_000, all);
    assert.match(run(root, ['config', 'get', 'refresh.hold']).stdout, /^20\d\d-.*Z\n$/, 'the hold of every app is refresh.hold');
    assert.equal(run(root, ['refresh', '--unhold']).status, 0);
    assert.deepEqual(times(root).holds, { all: null, apps: [] });

    const noApp = run(root, ['refresh', '--hold', 'nosuch']);
    assert.deepEqual([noApp.status, noApp.stderr], [2, 'skiff: --hold takes "forever" or a duration such as 90m, 12h, 7d, 2w or 1d12h, and "nosuch" is neither that nor an installed app\n']);
    const notInstalled = run(root, ['refresh', '--hold=1d', 'nosuch']);
    assert.deepEqual([notInstalled.status, notInstalled.stderr], [1, 'skiff: nosuch is not installed\n']);
    const both = run(root, ['refresh', '--hold', '--unhold']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /^skiff: refresh takes at most one of --list, --hold, --unhold, --time and --channel\/--revision\n$/);
    assert.deepEqual(times(root).holds, { all: null, apps: [] }, 'nothing half-done');
    const badHold = run(root, ['config', 'set', 'refresh.hold', 'tomorrow']);
    assert.equal(badHold.status, 1);
    assert.match(badHold.stderr, /^skiff: refresh.hold must be an RFC 3339 time/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});
