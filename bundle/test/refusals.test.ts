// One test per refusal of packBundle: each checks the message names the path and the reason,
// and that nothing was written (the output folder is not even created).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BundleRuleError, MKSQUASHFS_OPTIONS, ManifestError, SkiffError, packBundle, validateBundle } from '../src';
import { helloCopy, isRoot, put } from './helpers';

/** Packs a changed copy of examples/hello, expects a refusal matching `message`, and no output. */
async function refusedPack(change: (app: string) => unknown, kind: typeof SkiffError, message: RegExp): Promise<SkiffError> {
  const { app, out } = helloCopy();
  await change(app);
  const err = await packBundle(app, out).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof kind, `expected ${kind.name}, got ${String(err)}`);
  assert.match(err.message, message);
  assert.equal(existsSync(out), false, 'the output folder was created or written');
  return err;
}

const setManifest = (app: string, edit: (yaml: string) => string) => {
  const file = join(app, 'meta', 'app.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
};

test('refuses a folder without meta/app.yaml', async () => {
  await refusedPack((app) => rmSync(join(app, 'meta', 'app.yaml')), ManifestError, /meta\/app\.yaml: missing/);
});

test('refuses an invalid manifest, naming field and line', async () => {
  const e = await refusedPack((app) => setManifest(app, (y) => y.replace('pids: 64', 'pids: many')), ManifestError,
    /resources\.pids \(line 17\): must be an integer/);
  assert.equal((e as ManifestError).field, 'resources.pids');
});

test('refuses an absolute command', async () => {
  await refusedPack((app) => setManifest(app, (y) => y.replace('command: bin/report', 'command: /bin/sh')), ManifestError,
    /apps\.report\.command \(line 12\): must be a relative path/);
});

test("refuses a command containing '..'", async () => {
  await refusedPack((app) => setManifest(app, (y) => y.replace('command: bin/report', 'command: bin/../../report')), ManifestError,
    /apps\.report\.command \(line 12\):.*'\.\.'/);
});

test('refuses a missing command', async () => {
  await refusedPack((app) => rmSync(join(app, 'bin', 'report')), BundleRuleError,
    /refused bin\/report: missing from the bundle \(command of app report\)/);
});

test('refuses a command that is not executable', async () => {
  await refusedPack((app) => chmodSync(join(app, 'bin', 'report'), 0o644), BundleRuleError,
    /refused bin\/report: not executable \(mode 0644\)/);
});

test('refuses a command that is a symlink leaving the bundle', async () => {
  await refusedPack((app) => { rmSync(join(app, 'bin', 'report')); symlinkSync('/bin/sh', join(app, 'bin', 'report')); }, BundleRuleError,
    /refused bin\/report: symlink to \/bin\/sh: an absolute target leaves the bundle/);
});

test('refuses a hook that is not executable', async () => {
  await refusedPack((app) => chmodSync(join(app, 'meta', 'hooks', 'check-health'), 0o644), BundleRuleError,
    /refused meta\/hooks\/check-health: not executable/);
});

test('refuses a declared hook that is missing', async () => {
  await refusedPack((app) => rmSync(join(app, 'meta', 'hooks', 'check-health')), BundleRuleError,
    /refused meta\/hooks\/check-health: missing from the bundle \(hook check-health is declared/);
});

test('refuses a hook file that is not declared, or not a known hook', async () => {
  await refusedPack((app) => put(app, 'meta/hooks/install', '#!/bin/sh\n', 0o755), BundleRuleError,
    /refused meta\/hooks\/install: hook file present but not declared/);
  await refusedPack((app) => put(app, 'meta/hooks/check_health', '#!/bin/sh\n', 0o755), BundleRuleError,
    /refused meta\/hooks\/check_health: not a known hook/);
});

test('refuses a setuid file', async () => {
  await refusedPack((app) => put(app, 'bin/tool', 'x', 0o4755), BundleRuleError, /refused bin\/tool: setuid file \(mode 4755\)/);
});

test('refuses a setgid file', async () => {
  await refusedPack((app) => put(app, 'bin/tool', 'x', 0o2755), BundleRuleError, /refused bin\/tool: setgid file \(mode 2755\)/);
});

test('refuses a reserved app name: an app named bin would replace the device\'s wrapper folder', async () => {
  await refusedPack((app) => setManifest(app, (y) => y.replace(/^name: .*$/m, 'name: bin')), BundleRuleError,
    /refused meta\/app\.yaml: the name "bin" is reserved/);
});

test('an image whose files are not root\'s (made without -all-root) is refused by validation', { skip: isRoot ? false : 'chown to another user needs root' }, async () => {
  const { app, out } = helloCopy();
  chownSync(join(app, 'bin', 'hello'), 1234, 0);
  mkdirSync(out);
  const image = join(out, 'hand-made.skiff');
  const options = MKSQUASHFS_OPTIONS.filter((o) => o !== '-all-root');
  const r = spawnSync('mksquashfs', [app, image, ...options]);
  assert.equal(r.status, 0, String(r.stderr));
  await assert.rejects(validateBundle(image), (e: unknown) => e instanceof BundleRuleError &&
    /refused bin\/hello: owned by uid 1234 gid 0: every file of a bundle must belong to root/.test(e.message));
});

test('refuses a device node', { skip: isRoot ? false : 'mknod needs root' }, async () => {
  await refusedPack((app) => {
    const r = spawnSync('mknod', [join(app, 'null'), 'c', '1', '3']);
    assert.equal(r.status, 0, String(r.stderr));
  }, BundleRuleError, /refused null: a char device node is not allowed/);
});

test('refuses a FIFO', async () => {
  await refusedPack((app) => {
    const r = spawnSync('mkfifo', [join(app, 'pipe')]);
    assert.equal(r.status, 0, String(r.stderr));
  }, BundleRuleError, /refused pipe: a FIFO \(named pipe\) is not allowed/);
});

test('refuses a socket', async () => {
  // The socket file exists while the server listens; it is closed after the refusal.
  const server = createServer();
  try {
    await refusedPack((app) => new Promise<void>((ok) => server.listen(join(app, 'sock'), ok)), BundleRuleError,
      /refused sock: a socket is not allowed/);
  } finally {
    server.close();
  }
});

test('refuses a symlink whose relative target leaves the bundle', async () => {
  await refusedPack((app) => symlinkSync('../../etc/passwd', join(app, 'bin', 'passwd')), BundleRuleError,
    /refused bin\/passwd: symlink to \.\.\/\.\.\/etc\/passwd: leaves the bundle/);
});

test('refuses a symlink with an absolute target', async () => {
  await refusedPack((app) => symlinkSync('/etc', join(app, 'etc')), BundleRuleError,
    /refused etc: symlink to \/etc: an absolute target leaves the bundle/);
});

test('refuses a symlink that leaves the bundle through another symlink of the bundle', async () => {
  // here -> '.' is fine alone, but here/../x resolves to the bundle's parent.
  await refusedPack((app) => { symlinkSync('.', join(app, 'here')); symlinkSync('here/../outside', join(app, 'sneaky')); }, BundleRuleError,
    /refused sneaky: symlink to here\/\.\.\/outside: leaves the bundle/);
});

test('refuses a symlink loop', async () => {
  await refusedPack((app) => { symlinkSync('b', join(app, 'a')); symlinkSync('a', join(app, 'b')); }, BundleRuleError,
    /refused a: symlink to b: more than 40 symlinks deep/);
});

test('refuses an output folder inside the folder being packed', async () => {
  const { app } = helloCopy();
  const out = join(app, 'dist');
  await assert.rejects(packBundle(app, out), (e: unknown) => e instanceof BundleRuleError && /inside the folder being packed/.test(e.message));
  assert.equal(existsSync(out), false);
});

test('accepts symlinks that stay inside, and says so by packing', async () => {
  const { app, out } = helloCopy();
  mkdirSync(join(app, 'lib'));
  symlinkSync('../bin/hello', join(app, 'lib', 'hello'));
  symlinkSync('missing-but-inside', join(app, 'dangling'));
  const r = await packBundle(app, out);
  assert.ok(existsSync(r.path));
});
