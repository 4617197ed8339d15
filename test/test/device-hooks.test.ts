// Hooks run away from the admin's terminal: `skiff install` under a real
// pseudo-terminal, a hook that tries to read what the admin types and to drive the terminal.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { publishBundle, type RunningStore } from '../src/store';
import { SKIFF, skiff, skiffJson, makeBundle, openSetUpWorld, closeDeviceWorld, rootSkipReason } from '../src/device-fixture';
import { openTerminal, terminalSkipReason } from '../src/terminal';
import { HOOK_OUTPUT_MAX_BYTES } from '@skiff/client/dist/src/device/env';

const SNOOPING_HOOK = String.raw`#!/bin/bash
report="$SKIFF_DATA/hook-report"
: > "$SKIFF_DATA/reading"
if IFS= read -r -t 30 line; then echo "stdin: read $line" >> "$report"; else echo "stdin: nothing" >> "$report"; fi
for fd in 0 1 2; do if [ -t $fd ]; then echo "fd $fd: tty"; else echo "fd $fd: no tty"; fi; done >> "$report"
if (exec 3</dev/tty) 2>/dev/null; then echo "controlling terminal: yes"; else echo "controlling terminal: none"; fi >> "$report"
echo 'hook says hello'
printf '\033]0;pwned\007title\033[2Jcleared\302\233\062Jc1\233raw\n'
echo 'hook warns' >&2
`;

const FAILING_HOOK = String.raw`#!/bin/sh
echo 'preparing the config'
echo 'more detail'
printf '\033[31mconfig is missing\033[0m\n' >&2
exit 4
`;

/** Control characters but newline: what must never reach a terminal from a hook. */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe('device: hooks get no terminal', { skip: rootSkipReason() || terminalSkipReason() }, () => {
  let store: RunningStore | undefined;
  let work = '';
  let root = '';

  before(async () => {
    ({ store, work, root } = await openSetUpWorld('hooks'));
  });
  after(async () => {
    await closeDeviceWorld({ store, work, root });
  });

  const publishWithInstallHook = async (name: string, hook: string): Promise<number> =>
    (await publishBundle(store!, await makeBundle(work, { name, version: '1.0', hooks: { install: hook } }), { channel: 'stable' })).revision;

  test('an install hook reads no keystroke, has no tty, and its output reaches only the task log, cleaned', async () => {
    const rev = await publishWithInstallHook('snoop', SNOOPING_HOOK);
    const data = join(root, 'var/skiff/snoop', String(rev));
    const term = openTerminal([process.execPath, SKIFF, '--root', root, 'install', 'snoop']);
    try {
      // Type once the hook is reading (or has run): a hook that had the terminal would get this line.
      for (let i = 0; i < 1200 && !existsSync(join(data, 'reading')) && !term.exited(); i++) await sleep(50);
      term.type('typed-by-the-admin\n');
      assert.equal(await term.done, 0, term.screen());
    } finally { term.kill(); }

    assert.deepEqual(readFileSync(join(data, 'hook-report'), 'utf8').split('\n'),
      ['stdin: nothing', 'fd 0: no tty', 'fd 1: no tty', 'fd 2: no tty', 'controlling terminal: none', '']);
    const screen = term.screen();
    for (const seen of ['\x1b]0;pwned', 'pwned', '\x1b[2J', '\u009b', 'hook says hello', 'hook warns']) {
      assert.ok(!screen.includes(seen), `the terminal received ${JSON.stringify(seen)}: ${JSON.stringify(screen)}`);
    }

    const change = skiffJson<{ id: number; summary: string }[]>(root, ['changes']).find((c) => /snoop/.test(c.summary))!;
    const tasks = skiff(root, ['tasks', String(change.id)]);
    assert.equal(tasks.status, 0, tasks.stderr);
    assert.doesNotMatch(tasks.stdout, CONTROL);
    const logged = tasks.stdout.split('\n').map((l) => l.replace(/^\s*\S+Z /, '')).filter((l) => /^std(out|err): /.test(l));
    assert.deepEqual(logged, ['stdout: hook says hello', 'stdout: titleclearedc1\ufffdraw', 'stderr: hook warns']);
  });

  test('a failing hook is undone and its one-line error quotes its last lines', async () => {
    await publishWithInstallHook('failing', FAILING_HOOK);
    const r = skiff(root, ['install', 'failing']);
    assert.notEqual(r.status, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /install hook of failing \(revision \d+\) failed: exit status 4; last output: preparing the config \| more detail \| config is missing$/);
    assert.ok(!skiffJson<{ name: string }[]>(root, ['list']).some((a) => a.name === 'failing'), 'the install was undone');
  });

  test('a flood of output keeps the newest bytes in the task log, with a note of what was dropped', async () => {
    const lines = 20_000; // 17 bytes each: 340,000 bytes, five times the cap
    await publishWithInstallHook('chatty', `#!/bin/sh\nyes 0123456789abcdef | head -n ${lines}\necho last\n`);
    assert.equal(skiff(root, ['install', 'chatty']).status, 0);
    const change = skiffJson<{ id: number; summary: string }[]>(root, ['changes']).find((c) => /chatty/.test(c.summary))!;
    const task = skiffJson<{ tasks: { summary: string; log: string[] }[] }>(root, ['tasks', String(change.id)]).tasks
      .find((t) => /install hook/.test(t.summary))!;
    const log = task.log.map((l) => l.replace(/^\S+Z /, ''));
    const dropped = Number(/^… (\d+) bytes of output dropped/.exec(log[0])?.[1]);
    const kept = log.slice(1);
    const keptBytes = (kept.length - 1) * 17 + 'last\n'.length;
    assert.ok(keptBytes <= HOOK_OUTPUT_MAX_BYTES && keptBytes > HOOK_OUTPUT_MAX_BYTES - 17, `${keptBytes} bytes kept`);
    assert.equal(dropped + keptBytes, lines * 17 + 'last\n'.length, 'every byte is kept or counted');
    assert.equal(kept.at(-1), 'stdout: last');
  });
});
