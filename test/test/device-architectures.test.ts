// Builds for several architectures from one real store on loopback, with real mounts: each device installs
// and refreshes its own build; one with no build is told so; a local bundle of another architecture is refused;
// a device that installed from a channel map signed before architectures keeps refreshing after the upgrade.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelMapTargetPath } from '@skiff/bundle';
import { openStore } from '@skiff/store-server';
import { publishBundle, startStore, type RunningStore } from '../src/store';
import { startNginx, type RunningNginx } from '../src/nginx';
import { skiff, skiffJson, makeBundle, openDeviceWorld, closeDeviceWorld, cleanupRoot, mountsUnder, rootSkipReason, type ListedApp } from '../src/device-fixture';

/** The first 64 bytes of an ELF executable (64-bit, little-endian) for e_machine: enough for pack's check; never run. */
function elfHeader(eMachine: number): Buffer {
  const h = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(h);
  h.writeUInt16LE(2, 16); // ET_EXEC
  h.writeUInt16LE(eMachine, 18);
  return h;
}
const NATIVE = { amd64: elfHeader(62), arm64: elfHeader(183) };

function setUp(root: string, storeUrl: string, rootJsonPath: string, arch?: string): void {
  const r = skiff(root, ['setup', '--store', storeUrl, '--trust', rootJsonPath]);
  assert.equal(r.status, 0, r.stderr);
  if (arch) assert.equal(skiff(root, ['config', 'set', 'system.architecture', arch]).status, 0);
}
const installed = (root: string) => skiffJson<ListedApp[]>(root, ['list']).map((a) => [a.name, a.revision, a.version]);
const runs = (root: string) => skiff(root, ['run', 'multi']).stdout.trim();

describe('device: one app built for amd64 and arm64, each device gets its own', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let work = '';
  const roots: Record<'amd64' | 'arm64' | 'riscv64', string> = { amd64: '', arm64: '', riscv64: '' };
  const bundles: Record<string, string> = {};
  const revisions: Record<string, number> = {};

  before(async () => {
    ({ store, work } = await openDeviceWorld('arch'));
    for (const arch of ['amd64', 'arm64', 'riscv64'] as const) {
      roots[arch] = join(work, `root-${arch}`);
      setUp(roots[arch], store.url, store.rootJsonPath, arch);
    }
  });
  after(async () => {
    for (const r of Object.values(roots)) if (r) cleanupRoot(r);
    await closeDeviceWorld({ store, work });
  });

  const publish = async (version: string, arch: 'amd64' | 'arm64'): Promise<number> => {
    const file = await makeBundle(work, {
      name: 'multi', version, architectures: [arch], files: { 'lib/native': NATIVE[arch] }, script: `echo "multi ${version} for ${arch}"`,
    });
    bundles[`${version}-${arch}`] = file;
    return revisions[`${version}-${arch}`] = (await publishBundle(store!, file, { channel: 'stable' })).revision;
  };

  test('amd64 and arm64 revisions on stable: each device installs, then refreshes to, its own', async () => {
    const r1 = { amd64: await publish('1.0', 'amd64'), arm64: await publish('1.0', 'arm64') };
    for (const arch of ['amd64', 'arm64'] as const) {
      const r = skiff(roots[arch], ['install', 'multi']);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(installed(roots[arch]), [['multi', r1[arch], '1.0']], arch);
      assert.equal(runs(roots[arch]), `multi 1.0 for ${arch}`);
    }
    const r2 = { amd64: await publish('1.1', 'amd64'), arm64: await publish('1.1', 'arm64') };
    for (const arch of ['amd64', 'arm64'] as const) {
      const r = skiff(roots[arch], ['refresh']);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(installed(roots[arch]), [['multi', r2[arch], '1.1']], arch);
      assert.equal(runs(roots[arch]), `multi 1.1 for ${arch}`);
    }
  });

  test('a device whose architecture has no revision is told so in one line naming those there are', () => {
    const r = skiff(roots.riscv64, ['install', 'multi']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'skiff: multi has no revision for riscv64 (the store has it for amd64, arm64)\n');
    assert.deepEqual(installed(roots.riscv64), []);
    const info = skiffJson<{ architecture: string; channels: object; architectures: string[] }>(roots.riscv64, ['info', 'multi']);
    assert.deepEqual([info.architecture, info.channels, info.architectures], ['riscv64', {}, ['amd64', 'arm64']]);

    // Asking for another architecture's revision by number: the mounted manifest is checked, the change undone.
    const byNumber = skiff(roots.riscv64, ['install', 'multi', '--revision', String(revisions['1.1-amd64'])]);
    assert.equal(byNumber.status, 1);
    assert.match(byNumber.stderr, /bundle of multi revision \d+ is built for amd64, not for this device's riscv64/);
    assert.deepEqual(installed(roots.riscv64), []);
    assert.deepEqual(mountsUnder(roots.riscv64), []);
  });

  test('a --dangerous bundle of another architecture is refused in one line, and nothing changes', () => {
    const file = bundles['1.1-arm64']!;
    const r = skiff(roots.amd64, ['install', '--dangerous', file]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `skiff: refused ${file}: a bundle for arm64, and this device is amd64 (\`skiff config get system.architecture\`)\n`);
    assert.deepEqual(installed(roots.amd64).map(([, rev]) => rev), [installed(roots.amd64)[0]![1]]);
    assert.equal(runs(roots.amd64), 'multi 1.1 for amd64');
    const ok = skiff(roots.arm64, ['install', '--dangerous', file]);
    assert.equal(ok.status, 0, ok.stderr);
  });
});

describe('device: installed from a channel map signed before architectures, it refreshes after the store is upgraded', { skip: rootSkipReason() }, () => {
  let store: RunningStore | undefined;
  let nginx: RunningNginx | undefined;
  let work = '';
  let root = '';
  let dataDir = '';

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'skiff-arch-old-'));
    root = join(work, 'root');
    dataDir = join(work, 'store');
    mkdirSync(dataDir);
  });
  after(async () => {
    await nginx?.stop();
    await store?.stop();
    await closeDeviceWorld({ work, root });
  });

  const signedMap = () => {
    const path = channelMapTargetPath('legacy');
    const ctx = openStore(dataDir);
    try {
      const sha = ctx.tuf.bin(ctx.tuf.binFor(path))!.signed.targets[path]!.hashes.sha256;
      return JSON.parse(readFileSync(join(dataDir, 'repo', 'targets', 'apps', 'legacy', `${sha}.channels.json`), 'utf8'));
    } finally { ctx.close(); }
  };

  test('old format: install; new format: refresh', async () => {
    store = await startStore({ dataDir });
    const token = store.token;
    const r1 = (await publishBundle(store, await makeBundle(work, { name: 'legacy', version: '1.0' }), { channel: 'stable' })).revision;
    await store.stop();
    // What the store signed before architectures: {name, channels} and nothing else.
    const ctx = openStore(dataDir);
    try {
      ctx.tuf.publishApp({ name: 'legacy', channels: { 'latest/stable': { revision: r1, version: '1.0' } } }, []);
    } finally { ctx.close(); }
    assert.deepEqual(signedMap(), { name: 'legacy', channels: { 'latest/stable': { revision: r1, version: '1.0' } } });

    // The repository read straight from disk, as a fleet's web server would serve it.
    nginx = await startNginx(join(dataDir, 'repo'));
    setUp(root, nginx.url, store.rootJsonPath);
    const install = skiff(root, ['install', 'legacy']);
    assert.equal(install.status, 0, install.stderr);
    assert.deepEqual(installed(root), [['legacy', r1, '1.0']]);

    // The upgraded store re-signs the map at start (its `channels` unchanged), then releases 1.1.
    store = await startStore({ dataDir, token });
    const r2 = (await publishBundle(store, await makeBundle(work, { name: 'legacy', version: '1.1' }), { channel: 'stable' })).revision;
    const map = signedMap();
    assert.deepEqual(map.channels, { 'latest/stable': { revision: r2, version: '1.1' } }, 'what devices from before architectures read');
    assert.deepEqual(map.architectures.arm64, map.channels);

    const refresh = skiff(root, ['refresh']);
    assert.equal(refresh.status, 0, refresh.stderr);
    assert.deepEqual(installed(root), [['legacy', r2, '1.1']]);
  });
});
