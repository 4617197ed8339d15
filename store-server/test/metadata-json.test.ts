// The store's linear snapshot and bin code gives the very bytes and signature @tufjs/models gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, MetadataKind, MetaFile, Snapshot, TargetFile, Targets } from '@tufjs/models';
import { createRoleKeys, signMetadata } from '../src/tuf/keys';
import { metadataJSON, parseSnapshot, parseTargets, signListing } from '../src/tuf/metadata-json';

test('snapshot: metadataJSON, signListing and parseSnapshot agree with Metadata.toJSON, sign and fromJSON', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-snapshot-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keys = createRoleKeys(dir);
  const meta: Record<string, MetaFile> = { 'targets.json': new MetaFile({ version: 3 }) };
  for (let i = 0; i < 300; i++) meta[`bins-${i.toString(16).padStart(3, '0')}.json`] = new MetaFile({ version: i + 1 });
  const make = () => new Metadata(new Snapshot({ version: 7, specVersion: '1.0.31', expires: '2030-01-01T00:00:00Z', meta }));
  const ours = signListing(make(), keys.snapshot);
  const theirs = signMetadata(make(), [keys.snapshot]);
  assert.equal(JSON.stringify(metadataJSON(ours)), JSON.stringify(theirs.toJSON()));
  const parsed = parseSnapshot(JSON.parse(JSON.stringify(metadataJSON(ours))));
  assert.ok(parsed.signed.equals(theirs.signed));
  assert.deepEqual(parsed.signatures, theirs.signatures);
  // A root naming this snapshot key accepts the signature.
  const root = Metadata.fromJSON(MetadataKind.Root, { signed: { _type: 'root', spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z', consistent_snapshot: true,
    keys: { [keys.snapshot.keyId]: keys.snapshot.key.toJSON() }, roles: Object.fromEntries(['root', 'targets', 'snapshot', 'timestamp'].map((r) => [r, { keyids: [keys.snapshot.keyId], threshold: 1 }])) }, signatures: [] });
  root.verifyDelegate(MetadataKind.Snapshot, parsed);
  assert.throws(() => parseSnapshot({ signed: { _type: 'targets' }, signatures: [] }), /expected 'snapshot'/);
});

test('bins and targets: metadataJSON, signListing and parseTargets agree with Metadata.toJSON, sign and fromJSON', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-targets-json-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keys = createRoleKeys(dir);
  const targets: Record<string, TargetFile> = {};
  for (let i = 0; i < 300; i++) {
    const path = `apps/app-${i}/1.skiff`;
    targets[path] = TargetFile.fromJSON(path, { length: i, hashes: { sha256: 'ab'.repeat(32) }, custom: { name: `app-${i}`, revision: 1 } });
  }
  const delegated = { keys: { [keys.bins.keyId]: keys.bins.key.toJSON() }, succinct_roles: { keyids: [keys.bins.keyId], threshold: 1, bit_length: 5, name_prefix: 'bins' } };
  for (const json of [{ targets }, { targets: {}, delegations: delegated }]) {
    const make = () => new Metadata(new Targets({ version: 4, specVersion: '1.0.31', expires: '2030-01-01T00:00:00Z', targets: json.targets,
      delegations: json.delegations ? Targets.fromJSON({ _type: 'targets', spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z', targets: {}, delegations: json.delegations }).delegations : undefined }));
    const ours = signListing(make(), keys.bins);
    const theirs = signMetadata(make(), [keys.bins]);
    assert.equal(JSON.stringify(metadataJSON(ours)), JSON.stringify(theirs.toJSON()));
    const parsed = parseTargets(JSON.parse(JSON.stringify(metadataJSON(ours))));
    assert.equal(JSON.stringify(metadataJSON(parsed)), JSON.stringify(theirs.toJSON()));
    assert.deepEqual(parsed.signatures, theirs.signatures);
  }
});
