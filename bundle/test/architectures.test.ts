import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { machine } from 'node:os';
import { join } from 'node:path';
import { architectureOfMachine, elfArchitecture, fileElfArchitecture, packBundle, parseManifest } from '../src';
import { helloCopy, put, tempDir } from './helpers';

const HOST = architectureOfMachine(machine());

/** A real ELF executable for the host, built with cc. */
function hostElf(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'tiny.c'), 'int main(void) { return 0; }\n');
  const cc = spawnSync('cc', ['-O1', '-o', join(dir, 'tiny'), join(dir, 'tiny.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc: ${cc.stderr}`);
  return join(dir, 'tiny');
}

/** The host ELF with its header rewritten to say another machine (EI_CLASS, EI_DATA, e_machine); never run. */
function craftedElf(elfClass: number, data: number, eMachine: number): Buffer {
  const bytes = Buffer.from(readFileSync(hostElf()));
  bytes[4] = elfClass;
  bytes[5] = data;
  if (data === 1) bytes.writeUInt16LE(eMachine, 18);
  else bytes.writeUInt16BE(eMachine, 18);
  return bytes;
}

test('the ELF header names the architecture: cc output is the host\'s; crafted headers the others', { skip: !HOST && `host machine ${machine()} is not a known architecture` }, async () => {
  assert.deepEqual(await fileElfArchitecture(hostElf()), { arch: HOST });
  const cases: [number, number, number, string][] = [
    [2, 1, 62, 'amd64'], [2, 1, 183, 'arm64'], [1, 1, 40, 'armhf'], [2, 1, 243, 'riscv64'],
    [1, 1, 3, 'i386'], [2, 1, 21, 'ppc64el'], [2, 2, 22, 's390x'],
  ];
  for (const [cls, data, em, arch] of cases) assert.deepEqual(elfArchitecture(craftedElf(cls, data, em)), { arch }, arch);
  assert.deepEqual(elfArchitecture(craftedElf(2, 2, 21)), { unknown: 'ELF machine 21, 64-bit, big-endian' }, 'big-endian ppc64 is not ppc64el');
  assert.deepEqual(elfArchitecture(craftedElf(1, 1, 62)), { unknown: 'ELF machine 62, 32-bit, little-endian' }, 'x32 is not amd64');
  assert.deepEqual(elfArchitecture(craftedElf(1, 2, 8)), { unknown: 'ELF machine 8, 32-bit, big-endian' }, 'MIPS');
  assert.equal(elfArchitecture(Buffer.from('#!/bin/sh\necho not elf at all\n')), undefined);
  assert.equal(elfArchitecture(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2])), undefined, 'too short to be a header');
});

test('architectures in meta/app.yaml: all (the default) or a list of known names', () => {
  const base = 'name: hello\nversion: "1"\nsummary: s\napps:\n  hello:\n    command: bin/hello\n';
  assert.equal(parseManifest(base).architectures, undefined);
  assert.equal(parseManifest(`${base}architectures: all\n`).architectures, 'all');
  assert.deepEqual(parseManifest(`${base}architectures: [amd64, arm64]\n`).architectures, ['amd64', 'arm64']);
  for (const bad of ['[amd64, sparc]', '[]', '[amd64, amd64]', 'x86_64', '[all]']) {
    assert.throws(() => parseManifest(`${base}architectures: ${bad}\n`),
      { code: 'manifest-invalid', message: /architectures \(line 7\): must be all or a list of distinct architectures from: amd64, arm64, armhf, riscv64, i386, ppc64el, s390x$/ }, bad);
  }
});

/** examples/hello with a native file and an architectures line added to its manifest. */
function helloWith(files: Record<string, Buffer | string>, architectures?: string): { app: string; out: string } {
  const copy = helloCopy();
  for (const [path, body] of Object.entries(files)) {
    put(copy.app, path, '', 0o755);
    writeFileSync(join(copy.app, path), body);
  }
  if (architectures) writeFileSync(join(copy.app, 'meta/app.yaml'), `${readFileSync(join(copy.app, 'meta/app.yaml'), 'utf8')}architectures: ${architectures}\n`);
  return copy;
}

test('pack refuses an ELF file the declared architectures contradict, in one line naming the file and both', { skip: !HOST && 'unknown host' }, async () => {
  const other = HOST === 'arm64' ? 'amd64' : 'arm64';
  const host = readFileSync(hostElf());
  const refusals: [Record<string, Buffer>, string | undefined, string][] = [
    [{ 'bin/native': host }, `[${other}]`, `refused bin/native: an ELF file for ${HOST}, but meta/app.yaml declares architectures: [${other}]`],
    [{ 'lib/native.so': host }, undefined, `refused lib/native.so: an ELF file for ${HOST}, but meta/app.yaml declares architectures: all; declare architectures: [${HOST}]`],
    [{ 'bin/native': host }, `[${HOST}, ${other}]`, `refused meta/app.yaml: declares ${other}, but no ELF file is built for it (bin/native is for ${HOST})`],
    [{ 'bin/mips': craftedElf(1, 2, 8) }, `[${HOST}]`, 'refused bin/mips: an ELF machine 8, 32-bit, big-endian file, not for an architecture Skiff knows'],
  ];
  for (const [files, archs, message] of refusals) {
    const { app, out } = helloWith(files, archs);
    await assert.rejects(packBundle(app, out), { code: 'bundle-refused', message }, message);
    assert.equal(existsSync(out), false, 'nothing written');
  }
});

test('pack accepts ELF files of the declared architectures, and names the file after them', { skip: !HOST && 'unknown host' }, async () => {
  const { app, out } = helloWith({ 'bin/native': readFileSync(hostElf()) }, `[${HOST}]`);
  const r = await packBundle(app, out);
  assert.equal(r.path, join(out, `hello_1.2_${HOST}.skiff`));
  assert.deepEqual(r.manifest.architectures, [HOST]);

  // A bundle carrying builds for two architectures (the other one crafted: e_machine only).
  const arm64 = craftedElf(2, 1, 183);
  const amd64 = craftedElf(2, 1, 62);
  const two = helloWith({ 'amd64/native': amd64, 'arm64/native': arm64 }, '[amd64, arm64]');
  assert.deepEqual(readdirSync((await packBundle(two.app, two.out)) && two.out), ['hello_1.2_amd64+arm64.skiff']);

  // Without native files, a list is taken as declared (scripts that only run on those, say).
  const scripts = helloWith({}, '[riscv64]');
  assert.equal((await packBundle(scripts.app, scripts.out)).path, join(scripts.out, 'hello_1.2_riscv64.skiff'));
});
