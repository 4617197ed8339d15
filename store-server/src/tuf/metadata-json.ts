// snapshot.json and the bins read, signed and written in linear time. @tufjs/models' toJSON and fromJSON
// for Snapshot and Targets rebuild the map once per entry (quadratic): 0.5 s each for a snapshot of
// 2,048 bins, tens of ms for a bin of 800 targets. Same fields, same order, same canonical bytes.
import { Metadata, MetadataKind, MetaFile, Signature, Snapshot, TargetFile, Targets } from '@tufjs/models';
import { canonicalJson, signBytes } from '@skiff/bundle';
import type { RoleKey } from './keys';

type Json = Parameters<typeof MetaFile.fromJSON>[0];
export type Listing = Snapshot | Targets;

/** The signed part as Snapshot.toJSON or Targets.toJSON writes it. */
function signedJSON(s: Listing): Json {
  if (s instanceof Snapshot) {
    const meta: Json = {};
    for (const [file, info] of Object.entries(s.meta)) meta[file] = info.toJSON();
    return { _type: 'snapshot', meta, spec_version: s.specVersion, version: s.version, expires: s.expires, ...s.unrecognizedFields };
  }
  const targets: Json = {};
  for (const [path, file] of Object.entries(s.targets)) targets[path] = file.toJSON();
  const json: Json = { _type: 'targets', spec_version: s.specVersion, version: s.version, expires: s.expires, targets, ...s.unrecognizedFields };
  if (s.delegations) json.delegations = s.delegations.toJSON();
  return json;
}

/** The canonical bytes a signature covers. */
export function signedBytes(md: Metadata<Listing>): Buffer {
  return canonicalJson(signedJSON(md.signed));
}

/** The whole file's JSON: {signatures, signed}. */
export function metadataJSON(md: Metadata<Listing>): Json {
  return { signatures: Object.values(md.signatures).map((s) => s.toJSON()), signed: signedJSON(md.signed) };
}

/** Signs with one key, replacing earlier signatures (what Metadata.sign does); `bytes` when already computed. */
export function signListing<T extends Listing>(md: Metadata<T>, key: RoleKey, bytes = signedBytes(md)): Metadata<T> {
  md.signatures = { [key.keyId]: new Signature({ keyID: key.keyId, sig: signBytes(key.secretKey, bytes) }) };
  return md;
}

function common(json: { signed?: Json; signatures?: unknown }, type: string) {
  const { signed, signatures } = json;
  if (!signed || signed._type !== type) throw new TypeError(`expected '${type}', got ${String(signed?._type)}`);
  if (!Array.isArray(signatures)) throw new TypeError('signatures is not an array');
  const sigs: Record<string, Signature> = {};
  for (const s of signatures) {
    const sig = Signature.fromJSON(s as Json);
    sigs[sig.keyID] = sig;
  }
  const { _type, spec_version, version, expires, ...rest } = signed;
  return { sigs, fields: { specVersion: spec_version as string, version: version as number, expires: expires as string }, rest };
}

function entries(value: unknown, what: string): [string, Json][] {
  if (!value || typeof value !== 'object') throw new TypeError(`${what} field is malformed`);
  return Object.entries(value as Record<string, Json>);
}

/** Parses a snapshot file's JSON; throws on a malformed one (as Metadata.fromJSON would). */
export function parseSnapshot(json: { signed?: Json; signatures?: unknown }): Metadata<Snapshot> {
  const { sigs, fields, rest: { meta, ...rest } } = common(json, 'snapshot');
  const files: Record<string, MetaFile> = {};
  for (const [file, info] of entries(meta, 'meta')) files[file] = MetaFile.fromJSON(info);
  return new Metadata(new Snapshot({ ...fields, meta: files, unrecognizedFields: rest }), sigs);
}

/** Parses a bin's JSON; the top-level targets (delegations, no targets) goes through @tufjs/models. */
export function parseTargets(json: { signed?: Json; signatures?: unknown }): Metadata<Targets> {
  if (json.signed?.delegations !== undefined) return Metadata.fromJSON(MetadataKind.Targets, json as Parameters<typeof Metadata.fromJSON>[1]);
  const { sigs, fields, rest: { targets, ...rest } } = common(json, 'targets');
  const files: Record<string, TargetFile> = {};
  for (const [path, info] of entries(targets, 'targets')) files[path] = TargetFile.fromJSON(path, info);
  return new Metadata(new Targets({ ...fields, targets: files, unrecognizedFields: rest }), sigs);
}
