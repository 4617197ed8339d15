// The database and the TUF keys are the store's alone: 0600, at init and tightened at every start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initStore, openStore } from '../src/index';
import { ROLE_NAMES } from '../src/tuf/keys';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const secrets = (dir: string) => [
  ...['store.db', 'store.db-wal', 'store.db-shm'].map((f) => join(dir, f)),
  ...ROLE_NAMES.map((r) => join(dir, 'keys', `${r}.json`)),
];

test('store.db, its -wal and -shm, and every key are 0600 from init; a data folder made looser is tightened at start', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-modes-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  initStore(dir, { binBitLength: 1 });
  const open = openStore(dir, { binBitLength: 1 });
  open.db.prepare('SELECT count(*) FROM accounts').get();
  for (const f of secrets(dir)) assert.equal(mode(f), '600', f);
  assert.equal(mode(join(dir, 'keys')), '700');

  // An older store, or an admin's chmod, left them readable by every local user.
  for (const f of secrets(dir)) chmodSync(f, 0o644);
  chmodSync(join(dir, 'keys'), 0o755);
  open.close();
  const again = openStore(dir, { binBitLength: 1 });
  t.after(() => again.close());
  for (const f of secrets(dir).filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))) assert.equal(mode(f), '600', f);
  assert.equal(mode(join(dir, 'keys')), '700');
});
