import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machine } from 'node:os';
import { architectureOfMachine } from '@skiff/bundle';
import { checkSetting, SETTINGS } from '../src/device/config';
import { ARCHITECTURE_SETTING, deviceArchitecture, foreignArchitectures, kernelArchitecture } from '../src/device/architecture';

test('the device architecture: the kernel\'s machine in Debian\'s name unless the config sets one of the known names', () => {
  assert.deepEqual(['x86_64', 'aarch64', 'armv7l', 'riscv64', 'i686', 'ppc64le', 's390x', 'mips'].map(architectureOfMachine),
    ['amd64', 'arm64', 'armhf', 'riscv64', 'i386', 'ppc64el', 's390x', undefined]);
  assert.equal(kernelArchitecture(), architectureOfMachine(machine()) ?? '');
  assert.equal(SETTINGS[ARCHITECTURE_SETTING]!.default, kernelArchitecture());
  checkSetting(ARCHITECTURE_SETTING, 'arm64');
  assert.throws(() => checkSetting(ARCHITECTURE_SETTING, 'aarch64'),
    { code: 'config-invalid', message: 'system.architecture must be one of amd64, arm64, armhf, riscv64, i386, ppc64el, s390x, not "aarch64"' });
  assert.equal(deviceArchitecture('riscv64'), 'riscv64');
  assert.throws(() => deviceArchitecture(''), { code: 'architecture-unavailable', message: /set it with `skiff config set system.architecture ARCH`/ });
});

test('a bundle runs on the architectures it lists, or on every one for all', () => {
  const m = { name: 'x', version: '1', summary: 's', apps: { x: { command: 'bin/x' } } };
  assert.equal(foreignArchitectures(m, 'arm64'), null);
  assert.equal(foreignArchitectures({ ...m, architectures: 'all' }, 's390x'), null);
  assert.equal(foreignArchitectures({ ...m, architectures: ['amd64', 'arm64'] }, 'arm64'), null);
  assert.equal(foreignArchitectures({ ...m, architectures: ['amd64', 'i386'] }, 'arm64'), 'amd64, i386');
});
