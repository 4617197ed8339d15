// Forges TUF metadata against a running store, with its own keys (DATA/keys/, as the store documents) or a
// stranger's: what an attacker holding the online keys, or replaying old files, would serve to a device.
import { createHash } from 'node:crypto';
import { Metadata, MetadataKind, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';
import { generateKeyPair, publicKeyHex } from '@skiff/bundle';
import { loadRoleKeys, signMetadata, toRoleKey, type RoleKey, type RoleKeys } from '@skiff/store-server';

type JSONObject = Parameters<typeof Targets.fromJSON>[0];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bytesOf = (md: Metadata<any>) => Buffer.from(JSON.stringify(md.toJSON()));

/** Request paths (under /repo/) and the bytes a proxy should serve for them. */
export type ForgedFiles = Map<string, Buffer>;

/** A key no root names. */
export function strangerKey(): RoleKey {
  const kp = generateKeyPair();
  return toRoleKey('timestamp', publicKeyHex(kp), kp.secretKey);
}

export class Forger {
  readonly keys: RoleKeys;

  constructor(readonly storeUrl: string, dataDir: string) {
    this.keys = loadRoleKeys(dataDir);
  }

  /** The store's bytes for a metadata file, as a device would get them. */
  async fetch(file: string): Promise<Buffer> {
    const res = await fetch(`${this.storeUrl}/repo/metadata/${file}`);
    if (!res.ok) throw new Error(`GET ${file}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async timestamp(): Promise<Metadata<Timestamp>> {
    return Metadata.fromJSON(MetadataKind.Timestamp, JSON.parse((await this.fetch('timestamp.json')).toString()));
  }

  async snapshot(version?: number): Promise<{ md: Metadata<Snapshot>; bytes: Buffer }> {
    const v = version ?? (await this.timestamp()).signed.snapshotMeta.version;
    const bytes = await this.fetch(`${v}.snapshot.json`);
    return { md: Metadata.fromJSON(MetadataKind.Snapshot, JSON.parse(bytes.toString())), bytes };
  }

  /** The next root (a key rotation that keeps the keys), signed by `keys` (default: the store's root key). */
  async nextRoot(keys?: RoleKey[]): Promise<{ version: number; bytes: Buffer }> {
    const current = Metadata.fromJSON(MetadataKind.Root, JSON.parse((await this.fetch('root.json')).toString()));
    const version = current.signed.version + 1;
    const md = new Metadata(Root.fromJSON({ ...current.signed.toJSON(), version }));
    return { version, bytes: bytesOf(signMetadata(md, keys ?? [this.keys.root])) };
  }

  /** A timestamp one version past the store's, describing the given snapshot bytes. */
  async nextTimestamp(opts: { snapshotBytes?: Buffer; snapshotVersion?: number; expires?: string; keys?: RoleKey[] } = {}): Promise<Buffer> {
    const current = await this.timestamp();
    const snap = opts.snapshotBytes ?? (await this.snapshot()).bytes;
    const version = opts.snapshotVersion ?? Metadata.fromJSON(MetadataKind.Snapshot, JSON.parse(snap.toString())).signed.version;
    const md = new Metadata(new Timestamp({
      version: current.signed.version + 1, specVersion: current.signed.specVersion,
      expires: opts.expires ?? current.signed.expires,
      snapshotMeta: new MetaFile({ version, length: snap.length, hashes: { sha256: sha256(snap) } }),
    }));
    return bytesOf(signMetadata(md, opts.keys ?? [this.keys.timestamp]));
  }

  /** A snapshot one version past the store's, its meta edited, signed with the snapshot key. */
  async nextSnapshot(edit: (meta: Record<string, MetaFile>) => void): Promise<{ version: number; bytes: Buffer }> {
    const { md: current } = await this.snapshot();
    const meta = { ...current.signed.meta };
    edit(meta);
    const version = current.signed.version + 1;
    const md = new Metadata(new Snapshot({ version, specVersion: current.signed.specVersion, expires: current.signed.expires, meta }));
    return { version, bytes: bytesOf(signMetadata(md, [this.keys.snapshot])) };
  }

  /** The hashed bin that lists a target path, with its current version. */
  async binOf(targetPath: string): Promise<{ name: string; md: Metadata<Targets> }> {
    const { md: snap } = await this.snapshot();
    const top = Metadata.fromJSON(MetadataKind.Targets, JSON.parse((await this.fetch(`${snap.signed.meta['targets.json']!.version}.targets.json`)).toString()));
    const name = top.signed.delegations!.succinctRoles!.getRoleForTarget(targetPath);
    const bin = Metadata.fromJSON(MetadataKind.Targets, JSON.parse((await this.fetch(`${snap.signed.meta[`${name}.json`]!.version}.${name}.json`)).toString()));
    return { name, md: bin };
  }

  /**
   * A whole forged release, as an attacker holding the online keys could sign it: the target file at
   * `targetPath` becomes `content` (custom fields kept unless given), in a new bin, snapshot and timestamp.
   * With `binKeys`, the bin is signed by other keys (an attacker holding only snapshot and timestamp).
   */
  async release(targetPath: string, content: Buffer, opts: { binKeys?: RoleKey[]; custom?: Record<string, string | number> } = {}): Promise<ForgedFiles> {
    const { name, md: bin } = await this.binOf(targetPath);
    const old = bin.signed.targets[targetPath];
    const hash = sha256(content);
    const targets = { ...bin.signed.targets, [targetPath]: TargetFile.fromJSON(targetPath, {
      length: content.length, hashes: { sha256: hash }, custom: (opts.custom ?? old?.custom ?? {}) as JSONObject,
    } as JSONObject) };
    const newBin = new Metadata(new Targets({ version: bin.signed.version + 1, specVersion: bin.signed.specVersion, expires: bin.signed.expires, targets }));
    const binBytes = bytesOf(signMetadata(newBin, opts.binKeys ?? [this.keys.bins]));
    const snap = await this.nextSnapshot((meta) => { meta[`${name}.json`] = new MetaFile({ version: newBin.signed.version }); });
    const slash = targetPath.lastIndexOf('/');
    return new Map([
      [`/repo/targets/${targetPath.slice(0, slash)}/${hash}.${targetPath.slice(slash + 1)}`, content],
      [`/repo/metadata/${newBin.signed.version}.${name}.json`, binBytes],
      [`/repo/metadata/${snap.version}.snapshot.json`, snap.bytes],
      ['/repo/metadata/timestamp.json', await this.nextTimestamp({ snapshotBytes: snap.bytes })],
    ]);
  }
}
