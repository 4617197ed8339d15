// `skiff-store serve` as an operator runs it: JSON log lines, the timestamp re-signed before it
// expires, a graceful stop on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStore } from '../src/store';

test('the running server re-signs the timestamp before it expires, and stops cleanly on SIGTERM', async () => {
  const store = await startStore({ serveArgs: ['--timestamp-expiry', '6', '--timestamp-margin', '4', '--expiry-check-interval', '1'] });
  try {
    const read = () => JSON.parse(readFileSync(join(store.dataDir, 'repo', 'metadata', 'timestamp.json'), 'utf8')).signed;
    // init signed a 1-day timestamp; the server shortens it to 6 s at once, then re-signs every ~2 s.
    const first = read();
    const deadline = Date.now() + 15_000;
    let current = first;
    while (current.version < first.version + 2) {
      assert.ok(Date.now() < deadline, `timestamp not re-signed: still version ${current.version}`);
      await new Promise((r) => setTimeout(r, 250));
      current = read();
    }
    const served = await (await fetch(`${store.url}/repo/metadata/timestamp.json`)).json() as { signed: { version: number; expires: string } };
    assert.ok(served.signed.version >= current.version);
    assert.ok(new Date(served.signed.expires).getTime() > Date.now(), 'what is served has not expired');
    assert.match(served.signed.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  } finally {
    store.child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => store.child.once('exit', (c) => r(c)));
    assert.equal(code, 0, 'graceful exit on SIGTERM');
    const lines = store.logs().trim().split('\n');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
    assert.ok(lines.some((l) => JSON.parse(l).msg === 're-signed metadata close to expiry'));
    await store.stop();
  }
});
