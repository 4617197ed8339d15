import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestError, SERVICE_DEFAULTS, parseDuration, parseManifest, serviceSpecs } from '../src';

const SERVICE = `name: web
version: '1'
summary: Serves
apps:
  web:
    command: bin/serve
    daemon: notify
    restart-condition: always
    restart-delay: 500ms
    stop-timeout: 5s
    refresh-mode: endure
    install-mode: disable
    ready-timeout: 2m
  tool:
    command: bin/tool
`;

function refused(text: string): ManifestError {
  try {
    parseManifest(text);
  } catch (err) {
    assert.ok(err instanceof ManifestError, `expected a ManifestError, got ${String(err)}`);
    return err;
  }
  assert.fail(`accepted:\n${text}`);
}

test('a service reads with its settings in milliseconds; apps without daemon are no services', () => {
  assert.deepEqual(serviceSpecs(parseManifest(SERVICE)), [{
    app: 'web', daemon: 'notify', restartCondition: 'always', restartDelayMs: 500, stopTimeoutMs: 5000,
    readyTimeoutMs: 120_000, endure: true, enabled: false,
  }]);
});

test('a service without the optional fields gets the defaults', () => {
  const m = parseManifest(`name: web\nversion: '1'\nsummary: s\napps:\n  web:\n    command: bin/serve\n    daemon: simple\n`);
  assert.deepEqual(serviceSpecs(m), [{
    app: 'web', daemon: 'simple', restartCondition: 'on-failure', restartDelayMs: SERVICE_DEFAULTS.restartDelayMs,
    stopTimeoutMs: 30_000, readyTimeoutMs: SERVICE_DEFAULTS.readyTimeoutMs, endure: false, enabled: true,
  }]);
});

test('a bad service field is refused naming the field and its line', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    [SERVICE.replace('daemon: notify', 'daemon: forking'), 'apps.web.daemon', 7, /one of simple, oneshot, notify/],
    [SERVICE.replace('restart-condition: always', 'restart-condition: sometimes'), 'apps.web.restart-condition', 8, /one of on-failure, always, on-abnormal, never/],
    [SERVICE.replace('restart-delay: 500ms', 'restart-delay: 1.5s'), 'apps.web.restart-delay', 9, /duration like 500ms/],
    [SERVICE.replace('stop-timeout: 5s', 'stop-timeout: 30'), 'apps.web.stop-timeout', 10, /duration/],
    [SERVICE.replace('refresh-mode: endure', 'refresh-mode: keep'), 'apps.web.refresh-mode', 11, /one of restart, endure/],
    [SERVICE.replace('install-mode: disable', 'install-mode: off'), 'apps.web.install-mode', 12, /one of enable, disable/],
    [SERVICE.replace('ready-timeout: 2m', 'ready-timeout: 0s'), 'apps.web.ready-timeout', 13, /duration/],
    [SERVICE.replace('daemon: notify', 'daemon: simple'), 'apps.web.ready-timeout', 13, /daemon: notify only/],
    [`${SERVICE}    stop-timeout: 1s\n`, 'apps.tool.stop-timeout', 16, /services only: add daemon/],
  ];
  for (const [text, field, line, reason] of cases) {
    const e = refused(text);
    assert.equal(e.field, field, e.message);
    assert.equal(e.line, line, e.message);
    assert.match(e.message, reason);
    assert.ok(e.message.includes(`${field} (line ${line})`), e.message);
  }
});

test('parseDuration reads ms, s and m and refuses the rest', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('2m'), 120_000);
  for (const bad of ['30', '0s', '1.5s', '-1s', 's', '', '1h', '30S']) assert.throws(() => parseDuration(bad), ManifestError, bad);
});
