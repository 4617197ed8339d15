// Root-only: `skiff run`, `connect`, `disconnect` and `connections` on a device in a temporary root.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as native from '@skiff/native';

const skiff = join(__dirname, '..', '..', 'bin', 'skiff');
const cli = (root: string, args: string[], input?: string) =>
  spawnSync(process.execPath, [skiff, '--root', root, ...args], { encoding: 'utf8', input: input ?? '', timeout: 60_000 });

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root: installs and runs a confined app';
  try { native.launcherPath(); } catch (e) { return `the native launcher is not available: ${(e as Error).message}`; }
  return spawnSync('sh', ['-c', 'command -v mksquashfs']).status === 0 ? false : 'needs mksquashfs';
}

describe('skiff run and permissions', { skip: skipReason() }, () => {
  const work = mkdtempSync(join(tmpdir(), 'skiff-run-cli-'));
  const root = join(work, 'root');

  before(() => {
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'meta'), { recursive: true });
    mkdirSync(join(tree, 'bin'));
    writeFileSync(join(tree, 'meta', 'app.yaml'), [
      'name: runcli', "version: '2.0'", 'summary: runs a shell for the tests', 'apps:',
      '  runcli:', '    command: bin/hello', '    plugs: [network]',
      '  sh:', '    command: bin/shell', '    plugs: [network, network-bind]', '',
    ].join('\n'));
    writeFileSync(join(tree, 'bin', 'hello'), '#!/bin/sh\necho "hello from $SKIFF_NAME $SKIFF_VERSION"\n', { mode: 0o755 });
    writeFileSync(join(tree, 'bin', 'shell'), '#!/bin/sh\nexec /bin/sh "$@"\n', { mode: 0o755 });
    const pack = spawnSync(process.execPath, [skiff, 'pack', tree, '-o', work], { encoding: 'utf8' });
    assert.equal(pack.status, 0, pack.stderr);
    const install = cli(root, ['install', '--dangerous', pack.stdout.trim().split('\n').pop()!]);
    assert.equal(install.status, 0, install.stderr);
  });

  after(() => {
    cli(root, ['remove', 'runcli']);
    // Whatever remove left mounted must go before the folder can be deleted.
    for (const m of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(root))) {
      try { native.unmount(m, { lazy: true }); } catch { /* reported by rmSync below */ }
    }
    try { rmSync(work, { recursive: true, force: true }); } catch (e) { console.error(`left ${work}: ${(e as Error).message}`); }
  });

  test('runs the default app and NAME.APP, passing stdin, arguments and the exit code', () => {
    const hello = cli(root, ['run', 'runcli']);
    assert.deepEqual([hello.status, hello.stdout], [0, 'hello from runcli 2.0\n'], hello.stderr);
    const r = cli(root, ['run', 'runcli.sh', '--', '-c', 'read x; echo "$x|$1|$(id -u)"; echo oops >&2; exit 7', 'sh', 'a b'], 'line\n');
    assert.equal(r.status, 7, r.stderr);
    assert.match(r.stdout, /^line\|a b\|\d+\n$/);
    assert.notEqual(r.stdout.split('|')[2], '0\n');
    assert.equal(r.stderr, 'oops\n');
  });

  test('forwards signals to the app', async () => {
    const child = spawn(process.execPath, [skiff, '--root', root, 'run', 'runcli.sh', '--', '-c',
      'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Once: a second TERM after the app has exited would reach skiff itself, not the app.
      if (out.includes('ready') && !sent) { sent = true; child.kill('SIGTERM'); }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.deepEqual([code, out], [42, 'ready\ngot-term\n']);
  });

  test('Ctrl-C stops an app that does not handle it: exit 130', async () => {
    // "ready" only once the app (pid 2, under the sandbox init) is sleep: a Ctrl-C that landed before
    // the exec would test the shell, not an app without a handler.
    const app = '(until read c < /proc/2/comm && [ "$c" = sleep ]; do :; done; echo ready) & exec sleep 600';
    const child = spawn(process.execPath, [skiff, '--root', root, 'run', 'runcli.sh', '--', '-c', app],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.once('data', () => child.kill('SIGINT'));
    // sleep 600 ending at all, within the test's limit, means the Ctrl-C reached it.
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 130);
  });

  test('skiff run APP | head -1: the app dies of SIGPIPE quietly, as outside a sandbox (it is not pid 1)', () => {
    const app = 'while :; do echo line; done';
    for (const run of [`'${process.execPath}' '${skiff}' --root '${root}' run runcli.sh -- -c '${app}'`, `'${join(root, 'skiff/bin/runcli.sh')}' -c '${app}'`]) {
      // pipefail: the status is the app's (141 = 128 + SIGPIPE), not head's.
      const r = spawnSync('bash', ['-o', 'pipefail', '-c', `${run} | head -1`], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.stdout, 'line\n', run);
      assert.equal(r.stderr, '', `no "I/O error" or other complaint: ${run}`);
      assert.equal(r.status, 141, run);
    }
  });

  test('an unknown app is refused in one line', () => {
    const r = cli(root, ['run', 'runcli.nope']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^skiff: runcli has no app 'nope'/);
  });

  test('--plan prints the launch plan with a reason for every mount', () => {
    const r = cli(root, ['run', 'runcli.sh', '--plan']);
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as native.LaunchPlan;
    assert.equal(plan.argv[0], '/app/bin/shell');
    assert.ok(plan.mounts.every((m) => m.reason.length > 0));
  });

  test('connections, connect and disconnect; the saved plan follows', () => {
    const list = () => JSON.parse(cli(root, ['connections', 'runcli', '--json']).stdout) as { plug: string; granted: boolean; auto: boolean }[];
    assert.deepEqual(list().map((g) => [g.plug, g.granted, g.auto]), [['network', true, true], ['network-bind', false, false]]);
    const planOf = () => JSON.parse(readFileSync(join(root, 'var/lib/skiff/plans/runcli.sh.json'), 'utf8')) as native.LaunchPlan;
    assert.ok(!planOf().seccomp!.allow.includes('listen'));
    assert.equal(cli(root, ['connect', 'runcli:network-bind']).stdout, 'connected runcli:network-bind\n');
    assert.deepEqual(list().find((g) => g.plug === 'network-bind')?.granted, true);
    assert.ok(planOf().seccomp!.allow.includes('listen'));
    const human = cli(root, ['connections']).stdout;
    assert.match(human, /runcli\s+network-bind\s+yes/);
    assert.equal(cli(root, ['disconnect', 'runcli:network']).status, 0);
    assert.ok(planOf().namespaces.includes('net'));
    const bad = cli(root, ['connect', 'runcli:camera']);
    assert.deepEqual([bad.status, bad.stderr.trim()], [1, "skiff: unknown plug 'camera' (known: network, network-bind, hardware-observe)"]);
  });
});
