// The store's linear snapshot code gives the very bytes and signature @tufjs/models gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, MetadataKind, MetaFile, Snapshot } from '@tufjs/models';
import { createRoleKeys, signMetadata } from '../src/tuf/keys';
import { parseSnapshot, signSnapshot, snapshotJSON } from '../src/tuf/snapshot';

test('snapshotJSON, signSnapshot and parseSnapshot agree with Metadata.toJSON, sign and fromJSON', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-snapshot-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keys = createRoleKeys(dir);
  const meta: Record<string, MetaFile> = { 'targets.json': new MetaFile({ version: 3 }) };
  for (let i = 0; i < 300; i++) meta[`bins-${i.toString(16).padStart(3, '0')}.json`] = new MetaFile({ version: i + 1 });
  const make = () => new Metadata(new Snapshot({ version: 7, specVersion: '1.0.31', expires: '2030-01-01T00:00:00Z', meta }));
  const ours = signSnapshot(make(), keys.snapshot);
  const theirs = signMetadata(make(), [keys.snapshot]);
  assert.equal(JSON.stringify(snapshotJSON(ours)), JSON.stringify(theirs.toJSON()));
  const parsed = parseSnapshot(JSON.parse(JSON.stringify(snapshotJSON(ours))));
  assert.ok(parsed.signed.equals(theirs.signed));
  assert.deepEqual(parsed.signatures, theirs.signatures);
  // A root naming this snapshot key accepts the signature.
  const root = Metadata.fromJSON(MetadataKind.Root, { signed: { _type: 'root', spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z', consistent_snapshot: true,
    keys: { [keys.snapshot.keyId]: keys.snapshot.key.toJSON() }, roles: Object.fromEntries(['root', 'targets', 'snapshot', 'timestamp'].map((r) => [r, { keyids: [keys.snapshot.keyId], threshold: 1 }])) }, signatures: [] });
  root.verifyDelegate(MetadataKind.Snapshot, parsed);
  assert.throws(() => parseSnapshot({ signed: { _type: 'targets' }, signatures: [] }), /expected 'snapshot'/);
});
