// scripts/install puts Skiff at fixed places (a prefix, or a staging folder for a device image), and
// what it installs never points back into the checkout: the shims, the units and the app wrappers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentOf, cleanupRoot, rootSkipReason, startAgentSync, stopAgentSync } from '../src/device-fixture';

const checkout = join(__dirname, '..', '..', '..');
const installScript = join(checkout, 'scripts', 'install');
let work = '';

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });

before(() => { work = mkdtempSync(join(tmpdir(), 'skiff-install-')); });
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/** Every file under dir, except node_modules (third-party code may hold build paths of its own). */
function ownFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => !f.split('/').includes('node_modules')).map((f) => join(dir, f))
    .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
}

test('--destdir stages an image: files under DESTDIR, paths inside them name the prefix, never the checkout', () => {
  const destdir = join(work, 'image');
  const r = sh(installScript, ['--prefix', '/opt/skiff', '--destdir', destdir]);
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['opt/skiff/bin/skiff', 'opt/skiff/bin/skiffd', 'opt/skiff/bin/skiff-store', 'opt/skiff/libexec/skiff/skiff-launch',
    'opt/skiff/libexec/skiff/skiff-shim', 'opt/skiff/libexec/skiff/skiff_native.node', 'opt/skiff/lib/systemd/system/skiffd.service',
    'opt/skiff/lib/systemd/system/skiff-store.service', 'opt/skiff/lib/skiff/client/dist/src/cli.js']) {
    assert.ok(existsSync(join(destdir, f)), `${f} is installed`);
  }
  const unit = readFileSync(join(destdir, 'opt/skiff/lib/systemd/system/skiffd.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/opt\/skiff\/bin\/skiffd$/m);
  assert.match(unit, /^KillMode=process$/m, 'restarting the agent never kills apps');
  assert.ok(!existsSync(join(destdir, 'opt/skiff/lib/systemd/system/skiff-boot.service')), 'skiffd.service replaces skiff-boot.service');
  assert.match(readFileSync(join(destdir, 'opt/skiff/bin/skiffd'), 'utf8'), /^SKIFF_DEFAULT_ROOT=\/ exec node --max-semi-space-size=1 '\/opt\/skiff\/lib\/skiff\/client\/bin\/skiffd'/m);
  assert.match(readFileSync(join(destdir, 'opt/skiff/bin/skiff'), 'utf8'), /^SKIFF_DEFAULT_ROOT=\/ exec node '\/opt\/skiff\/lib\/skiff\/client\/bin\/skiff'/m);
  assert.ok(!existsSync(join(destdir, 'opt/skiff/lib/skiff/node_modules/typescript')), 'no development dependency is installed');
  // Devices run the patched @tufjs/models (patches/, applied by npm ci): the install copies node_modules as patched.
  for (const patch of readdirSync(join(checkout, 'patches')).filter((f) => f.endsWith('.patch'))) {
    const r = spawnSync('git', ['apply', '--check', '--reverse', join(checkout, 'patches', patch)], { cwd: join(destdir, 'opt/skiff/lib/skiff'), encoding: 'utf8' });
    assert.equal(r.status, 0, `${patch} is not applied in the installed copy: ${r.stderr}`);
  }
  for (const f of ownFiles(join(destdir, 'opt/skiff'))) {
    const text = readFileSync(f, 'latin1');
    assert.ok(!text.includes(checkout) && !text.includes(destdir), `${f} names the checkout or the staging folder`);
  }
  const bad = sh(installScript, ['--prefix', 'relative/path']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "scripts/install: --prefix must be an absolute path, not 'relative/path'\n");
});

test('an installed skiff packs, installs and runs an app whose wrapper execs the installed skiff-launch', { skip: rootSkipReason() }, () => {
  const prefix = join(work, 'usr');
  assert.equal(sh(installScript, ['--prefix', prefix]).status, 0);
  // Installing again replaces the tree (an upgrade keeps nothing the new version dropped).
  const again = sh(installScript, ['--prefix', prefix]);
  assert.equal(again.status, 0, again.stderr);
  const skiff = join(prefix, 'bin', 'skiff');
  assert.match(sh(skiff, ['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  assert.match(sh(join(prefix, 'bin', 'skiff-store'), ['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  const root = join(work, 'device');
  try {
    const packed = sh(skiff, ['pack', join(checkout, 'examples', 'hello'), '-o', join(work, 'out')]);
    assert.equal(packed.status, 0, packed.stderr);
    const bundle = packed.stdout.trim().split('\n').pop()!;
    const installed = sh(skiff, ['--root', root, 'install', '--dangerous', bundle]);
    assert.equal(installed.status, 0, installed.stderr);
    const wrapper = readFileSync(join(root, 'skiff/bin/hello'), 'utf8');
    assert.ok(wrapper.includes(`exec '${join(prefix, 'libexec/skiff/skiff-launch')}'`), wrapper);
    const ran = sh(join(root, 'skiff/bin/hello'), []);
    assert.equal(ran.status, 0, ran.stderr);
    assert.match(ran.stdout, /^hello from hello$/m);
    // The installed agent serves the same device; the installed skiff goes through it, the wrapper never needs it.
    startAgentSync(root, {}, join(prefix, 'bin', 'skiffd'));
    assert.equal(sh(skiff, ['--root', root, 'list', '--json']).status, 0);
    assert.match(sh(join(root, 'skiff/bin/hello'), []).stdout, /^hello from hello$/m);
    const removed = sh(skiff, ['--root', root, 'remove', 'hello', '--purge']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(readFileSync(agentOf(root)!.log, 'utf8'), /"msg":"Remove hello and purge its data"/, 'the remove ran in skiffd');
  } finally {
    stopAgentSync(root);
    sh(skiff, ['--root', root, 'remove', 'hello', '--purge']);
    cleanupRoot(root);
  }
});
