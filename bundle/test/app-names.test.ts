// The app-name rule, one home: appNameProblem says why a name cannot name an app, in one line, with the code callers report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appNameProblem } from '../src/index';

test('valid names have no problem; each broken rule is named in one line', () => {
  for (const name of ['ab', 'a1', '0day', 'hello-world', 'a'.repeat(40)]) assert.equal(appNameProblem(name), null, name);
  const cases: [string, string, RegExp][] = [
    ['a', 'name-invalid', /^"a" is not an app name: it must have 2-40 characters, not 1$/],
    ['a'.repeat(41), 'name-invalid', /2-40 characters, not 41/],
    ['--a', 'name-invalid', /^"--a" is not an app name: use lowercase letters, digits and single dashes/],
    ['Hello', 'name-invalid', /not an app name/],
    ['a--b', 'name-invalid', /single dashes/],
    ['héllo', 'name-invalid', /not an app name/],
    ['bin', 'name-reserved', /^the name "bin" is reserved \(the device or the store uses it\): choose another$/],
  ];
  for (const [name, code, message] of cases) {
    const problem = appNameProblem(name);
    assert.equal(problem?.code, code, name);
    assert.match(problem.message, message);
    assert.ok(!problem.message.includes('\n'));
  }
});
