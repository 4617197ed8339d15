// The store's TUF repository under DATA/repo: metadata/ and targets/, consistent snapshots,
// a top-level targets role delegating every path to succinct hashed bins (TAP 15).
//
// Files in DATA/repo/metadata/: N.root.json (and root.json, the newest), N.targets.json,
// N.bins-XX.json, N.snapshot.json, timestamp.json. Targets live in DATA/repo/targets/ as
// apps/<name>/<sha256>.<rev>.skiff (a hard link to the blob) and apps/<name>/<sha256>.channels.json.
//
// All work here is synchronous on purpose: a commit can never interleave with another one in
// the same process, which is what serializes releases and keeps versions strictly increasing.
// The rename of timestamp.json is the commit point; files written before it are unreferenced
// until then, and are simply overwritten by the next attempt.
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, copyFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Metadata, MetaFile, MetadataKind, Root, Signature, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';
import type { StorePaths, StoreSettings } from '../settings';
import { RepositoryError } from '../errors';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { bundleTargetPath, canonicalJson, channelMapTargetPath, fsyncDir, sha256Hex, signBytes, writeFileAtomic, type BundleTargetCustom, type ChannelMapDocument } from '@skiff/bundle';
import { signMetadata, type RoleKeys, type RoleSigned } from './keys';

export const SPEC_VERSION = '1.0.31';
/**
 * The hashed bins' role names are b-<hex>: short, because the snapshot names every bin (2,048 at 100,000 apps)
 * and is what every device downloads after any release. Stores made before keep `bins-` until re-binned.
 */
export const BIN_PREFIX = 'b';
/** Most hashed bins a repository may have: 2^16 (the snapshot then lists 65,536 files). */
export const MAX_BIN_BITS = 16;

/** A bundle revision to be listed as the target apps/<name>/<rev>.skiff. */
export interface BundleTarget {
  name: string; revision: number; sha256: string; size: number; version: string; publisher: string;
  /** The content-addressed blob; linked (not copied) into the repository. */
  blobPath: string;
}

/** What one commit wrote, for tests and benchmarks. */
export interface CommitReport {
  files: { name: string; bytes: number }[];
  metadataBytes: number;
  /** Bytes of the precompressed .gz copies written beside them. */
  gzipBytes: number;
  snapshotVersion: number;
  timestampVersion: number;
}

type JSONObject = Parameters<typeof Targets.fromJSON>[0];

// Measured at 100,000 apps (docs/scale.md): a bin's line for one target, and the snapshot's line for one bin.
const TARGET_ENTRY_BYTES = 200;
const SNAPSHOT_ENTRY_BYTES = 30;
/** The most bins measured on a device (bench/tuf-parse.mjs): tuf-js reads a snapshot of 4,096 in ~20 ms (patched @tufjs/models). */
const MAX_AUTO_BIN_BITS = 12;
/** A release rewrites (and a refresh reads) up to this many bins: the app's channel map's and its bundle's. */
const BINS_PER_RELEASE = 2;

/**
 * The bin bit length for a repository of `targetCount` targets: the one that makes a release's metadata
 * smallest, two bins (shrinking as bins multiply) plus the snapshot (one line per bin, growing), up to
 * the 4,096 bins measured on a device (the formula picks 2^11 from 158,000 targets, 2^12 from 630,000).
 */
export function binBitsFor(targetCount: number): number {
  let best = 1;
  const cost = (bits: number) => BINS_PER_RELEASE * TARGET_ENTRY_BYTES * targetCount / 2 ** bits + SNAPSHOT_ENTRY_BYTES * 2 ** bits;
  for (let bits = 2; bits <= MAX_AUTO_BIN_BITS; bits++) if (cost(bits) < cost(best)) best = bits;
  return best;
}

/** `expires` without milliseconds: some TUF clients reject fractions. */
export function expiresIn(seconds: number, now: Date): string {
  return new Date(now.getTime() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The bytes of a channel map target, exactly as devices download them. */
export function channelMapBytes(doc: ChannelMapDocument): Buffer {
  return Buffer.from(JSON.stringify(doc) + '\n');
}


/** One syncfs instead of one fsync per file, for commits of more files than this. */
const MAX_FSYNCED_FILES = 16;

function syncFilesystem(path: string): void {
  const sync = spawnSync('sync', ['-f', path]);
  if (sync.status !== 0) throw new RepositoryError(`sync -f ${path} failed: ${sync.stderr}`);
}

function serialize(md: Metadata<RoleSigned>): Buffer {
  return Buffer.from(JSON.stringify(md.toJSON()));
}

/** Reads one metadata file as the role `parse` reads (Metadata.fromJSON, which checks the file's _type). */
function readMetadata<T extends RoleSigned>(path: string, parse: (json: JSONObject) => Metadata<T>): Metadata<T> {
  try {
    return parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new RepositoryError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

export class TufRepository {
  private constructor(
    private readonly paths: StorePaths,
    private readonly settings: StoreSettings,
    private readonly keys: RoleKeys,
    private root: Metadata<Root>,
    private targets: Metadata<Targets>,
    private snapshot: Metadata<Snapshot>,
    private timestamp: Metadata<Timestamp>,
    private readonly bins: Map<string, Metadata<Targets>>,
    private timestampBytes: Buffer,
  ) {}

  /** Writes version 1 of every role: root, targets with its bins, snapshot, timestamp. */
  static create(paths: StorePaths, settings: StoreSettings, keys: RoleKeys, now = new Date()): TufRepository {
    mkdirSync(paths.metadata, { recursive: true });
    mkdirSync(paths.targets, { recursive: true });
    const root = new Metadata(new Root({
      version: 1, specVersion: SPEC_VERSION, expires: expiresIn(settings.rootExpirySeconds, now), consistentSnapshot: true,
    }));
    for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) root.signed.addKey(keys[role].key, role);
    signMetadata(root, [keys.root]);
    const rootBytes = serialize(root);
    writeFileAtomic(join(paths.metadata, '1.root.json'), rootBytes);
    writeFileAtomic(join(paths.metadata, 'root.json'), rootBytes);

    const targets = Metadata.fromJSON(MetadataKind.Targets, {
      signed: {
        _type: 'targets', spec_version: SPEC_VERSION, version: 1,
        expires: expiresIn(settings.targetsExpirySeconds, now), targets: {},
        delegations: {
          keys: { [keys.bins.keyId]: keys.bins.key.toJSON() },
          succinct_roles: { keyids: [keys.bins.keyId], threshold: 1, bit_length: settings.binBitLength, name_prefix: BIN_PREFIX },
        },
      },
      signatures: [],
    } as JSONObject);
    signMetadata(targets, [keys.targets]);
    const repo = new TufRepository(paths, settings, keys, root, targets,
      new Metadata(new Snapshot({ version: 0, specVersion: SPEC_VERSION, expires: expiresIn(0, now) })),
      new Metadata(new Timestamp({ version: 0, specVersion: SPEC_VERSION, expires: expiresIn(0, now) })),
      new Map(), Buffer.alloc(0));
    const targetsBytes = serialize(targets);
    writeFileAtomic(join(paths.metadata, '1.targets.json'), targetsBytes);
    if (settings.metadataGzipLevel > 0) writeFileAtomic(join(paths.metadata, '1.targets.json.gz'), gzipSync(targetsBytes, { level: settings.metadataGzipLevel }));
    const bins = new Map<string, Targets>();
    for (const bin of repo.succinct().getRoles()) {
      bins.set(bin, new Targets({ version: 1, specVersion: SPEC_VERSION, expires: expiresIn(settings.targetsExpirySeconds, now) }));
    }
    repo.commit(bins, null, now);
    return repo;
  }

  /** Loads the repository as the last commit left it (timestamp.json is the commit point). */
  static open(paths: StorePaths, settings: StoreSettings, keys: RoleKeys): TufRepository {
    const md = (name: string) => join(paths.metadata, name);
    const root = readMetadata(md('root.json'), (j) => Metadata.fromJSON(MetadataKind.Root, j));
    const timestampBytes = readFileSync(md('timestamp.json'));
    const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, JSON.parse(timestampBytes.toString('utf8')));
    const snapshot = readMetadata(md(`${timestamp.signed.snapshotMeta.version}.snapshot.json`), (j) => Metadata.fromJSON(MetadataKind.Snapshot, j));
    const bins = new Map<string, Metadata<Targets>>();
    const targetsMeta = snapshot.signed.meta['targets.json'];
    if (!targetsMeta) throw new RepositoryError('the snapshot lists no targets.json');
    const load = (file: string, version: number) => readMetadata(md(`${version}.${file}`), (j) => Metadata.fromJSON(MetadataKind.Targets, j));
    const targets = load('targets.json', targetsMeta.version);
    const repo = new TufRepository(paths, settings, keys, root, targets, snapshot, timestamp, bins, timestampBytes);
    // The snapshot also lists the bins of earlier layouts (TUF clients require it): only today's are loaded.
    for (const bin of repo.succinct().getRoles()) {
      const meta = snapshot.signed.meta[`${bin}.json`];
      if (!meta) throw new RepositoryError(`the snapshot lists no ${bin}.json`);
      bins.set(bin, load(`${bin}.json`, meta.version));
    }
    return repo;
  }

  private succinct() {
    const s = this.targets.signed.delegations?.succinctRoles;
    if (!s) throw new RepositoryError('targets.json has no succinct hash-bin delegation');
    return s;
  }

  /** The hashed bin that holds a target path. */
  binFor(targetPath: string): string {
    return this.succinct().getRoleForTarget(targetPath);
  }

  get versions() {
    return {
      root: this.root.signed.version, targets: this.targets.signed.version,
      snapshot: this.snapshot.signed.version, timestamp: this.timestamp.signed.version,
    };
  }

  /** The bytes of the current timestamp.json, to serve from memory. */
  get currentTimestamp(): Buffer {
    return this.timestampBytes;
  }

  get rootExpires(): Date {
    return new Date(this.root.signed.expires);
  }

  get timestampExpires(): Date {
    return new Date(this.timestamp.signed.expires);
  }

  /** The sha256 of an app's signed channel map target, if it has one. */
  channelMapSha256(name: string): string | undefined {
    const path = channelMapTargetPath(name);
    return this.bins.get(this.binFor(path))?.signed.targets[path]?.hashes.sha256;
  }

  /** A target as last committed, wherever its bin. */
  target(path: string): TargetFile | undefined {
    return this.bins.get(this.binFor(path))?.signed.targets[path];
  }

  /**
   * Adds targets whose files are blobs (linked into targets/ under their sha256) and drops others, in one
   * commit: how deltas are published and retired beside the bundles they serve.
   */
  updateTargets(add: { target: TargetFile; blobPath: string }[], remove: string[], now = new Date()): CommitReport | null {
    const changed = new Map<string, Record<string, TargetFile>>();
    const binOf = (path: string) => {
      const bin = this.binFor(path);
      if (!changed.has(bin)) changed.set(bin, { ...this.bins.get(bin)!.signed.targets });
      return changed.get(bin)!;
    };
    for (const { target, blobPath } of add) {
      this.linkTargetFile(target.path, target.hashes.sha256!, blobPath);
      binOf(target.path)[target.path] = target;
    }
    for (const path of remove) if (this.target(path)) delete binOf(path)[path];
    if (!changed.size) return null;
    const bins = new Map<string, Targets>();
    for (const [bin, targets] of changed) {
      const base = this.bins.get(bin)!.signed;
      bins.set(bin, new Targets({ version: base.version, specVersion: SPEC_VERSION, expires: base.expires, targets }));
    }
    return this.commit(bins, null, now);
  }

  /** The file a target is served from (targets/<dir>/<sha256>.<file>). */
  targetFile(path: string, sha256: string): string {
    return this.consistentTargetFile(path, sha256);
  }

  /** The signed targets of one bin (as last committed). */
  bin(name: string): Metadata<Targets> | undefined {
    return this.bins.get(name);
  }

  /**
   * Publishes an app's channel map (and a bundle it now points to): writes the target files,
   * then the one or two bins that list them, the snapshot and the timestamp. Nothing else.
   */
  publishApp(channelMap: ChannelMapDocument, bundles: BundleTarget[], now = new Date()): CommitReport {
    return this.publishApps([{ channelMap, bundles }], now);
  }

  /** Publishes many apps in one commit (an import, a benchmark's fixture): each bin is signed once. */
  publishApps(apps: { channelMap: ChannelMapDocument; bundles: BundleTarget[] }[], now = new Date()): CommitReport {
    const changed = new Map<string, Record<string, TargetFile>>();
    const put = (tf: TargetFile) => {
      const bin = this.binFor(tf.path);
      let targets = changed.get(bin);
      if (!targets) {
        const base = this.bins.get(bin);
        if (!base) throw new RepositoryError(`bin ${bin} is missing from the snapshot`);
        targets = { ...base.signed.targets };
        changed.set(bin, targets);
      }
      targets[tf.path] = tf;
    };
    const many = apps.length > MAX_FSYNCED_FILES;
    for (const { channelMap, bundles } of apps) {
      for (const b of bundles) {
        const path = bundleTargetPath(b.name, b.revision);
        const existing = this.bins.get(this.binFor(path))?.signed.targets[path];
        if (existing && existing.hashes.sha256 === b.sha256) continue;
        this.linkTargetFile(path, b.sha256, b.blobPath);
        put(TargetFile.fromJSON(path, {
          length: b.size, hashes: { sha256: b.sha256 },
          custom: { name: b.name, revision: b.revision, version: b.version, publisher: b.publisher } satisfies BundleTargetCustom,
        }));
      }
      const mapPath = channelMapTargetPath(channelMap.name);
      const mapBytes = channelMapBytes(channelMap);
      const mapSha = sha256Hex(mapBytes);
      const current = this.bins.get(this.binFor(mapPath))?.signed.targets[mapPath];
      if (!current || current.hashes.sha256 !== mapSha) {
        const file = this.consistentTargetFile(mapPath, mapSha);
        // An import of many apps syncs them with the metadata, at once (see commit).
        if (!existsSync(file)) writeFileAtomic(file, mapBytes, many ? { fsyncFile: false, fsyncFolder: false } : {});
        put(TargetFile.fromJSON(mapPath, { length: mapBytes.length, hashes: { sha256: mapSha }, custom: { name: channelMap.name } }));
      }
    }
    if (!changed.size) return { files: [], metadataBytes: 0, gzipBytes: 0, snapshotVersion: this.versions.snapshot, timestampVersion: this.versions.timestamp };
    const bins = new Map<string, Targets>();
    for (const [bin, targets] of changed) {
      const base = this.bins.get(bin)!.signed;
      bins.set(bin, new Targets({ version: base.version, specVersion: SPEC_VERSION, expires: base.expires, targets }));
    }
    return this.commit(bins, null, now, false, many);
  }

  /** How many targets the bins list in all. */
  get targetCount(): number {
    let n = 0;
    for (const md of this.bins.values()) n += Object.keys(md.signed.targets).length;
    return n;
  }

  /**
   * Moves every target into 2^bits new hashed bins in one commit: a new targets version delegating to
   * them, every new bin signed, the snapshot and timestamp bumped. Devices follow it as any update.
   */
  rebin(bits: number, now = new Date()): CommitReport {
    if (!Number.isInteger(bits) || bits < 1 || bits > MAX_BIN_BITS) {
      throw new RepositoryError(`the bin bit length must be an integer within 1..${MAX_BIN_BITS}, got ${bits}`);
    }
    const delegations = this.targets.signed.delegations!.toJSON() as { succinct_roles: { bit_length: number; name_prefix: string } };
    delegations.succinct_roles.bit_length = bits;
    delegations.succinct_roles.name_prefix = BIN_PREFIX;
    const targets = Targets.fromJSON({ ...this.targets.signed.toJSON(), delegations } as JSONObject);
    const roles = targets.delegations!.succinctRoles!;
    const bins = new Map<string, Targets>();
    for (const bin of roles.getRoles()) bins.set(bin, new Targets({ version: 1, specVersion: SPEC_VERSION, expires: this.targets.signed.expires }));
    for (const md of this.bins.values()) {
      for (const [path, tf] of Object.entries(md.signed.targets)) bins.get(roles.getRoleForTarget(path))!.targets[path] = tf;
    }
    const report = this.commit(bins, targets, now);
    for (const name of [...this.bins.keys()]) if (!bins.has(name)) this.bins.delete(name);
    return report;
  }

  /**
   * Re-signs what expires within its margin: the timestamp (timestamp margin), snapshot,
   * targets and bins (online margin). Returns null when nothing needed it.
   */
  refreshExpiring(now = new Date()): CommitReport | null {
    const soon = (expires: string, marginSeconds: number) => new Date(expires).getTime() - now.getTime() <= marginSeconds * 1000;
    const margin = this.settings.onlineResignMarginSeconds;
    const bins = new Map<string, Targets>();
    for (const [name, md] of this.bins) if (soon(md.signed.expires, margin)) bins.set(name, md.signed);
    const targets = soon(this.targets.signed.expires, margin) ? this.targets.signed : null;
    const snapshotDue = soon(this.snapshot.signed.expires, margin);
    // Also when it outlives the configured lifetime: a shortened expiry then takes effect at once.
    const timestampLeftMs = new Date(this.timestamp.signed.expires).getTime() - now.getTime();
    const timestampDue = soon(this.timestamp.signed.expires, this.settings.timestampResignMarginSeconds)
      || timestampLeftMs > this.settings.timestampExpirySeconds * 1000;
    if (!bins.size && !targets && !snapshotDue && !timestampDue) return null;
    return this.commit(bins, targets, now, !bins.size && !targets && !snapshotDue);
  }

  /** Hard-links a blob into targets/ under its consistent-snapshot name (same filesystem as the blobs). */
  private linkTargetFile(path: string, sha: string, blobPath: string): void {
    const file = this.consistentTargetFile(path, sha);
    if (existsSync(file)) return;
    mkdirSync(dirname(file), { recursive: true });
    try {
      linkSync(blobPath, file);
    } catch {
      copyFileSync(blobPath, file);
    }
  }

  private consistentTargetFile(path: string, sha: string): string {
    const slash = path.lastIndexOf('/');
    return join(this.paths.targets, path.slice(0, slash), `${sha}.${path.slice(slash + 1)}`);
  }

  /**
   * Signs and writes new versions of the given bins (and top-level targets), then a new snapshot
   * (unless only the timestamp is due) and a new timestamp, whose rename is the commit point.
   */
  private commit(bins: Map<string, Targets>, targets: Targets | null, now: Date, timestampOnly = false, manyFiles = false): CommitReport {
    const files: CommitReport['files'] = [];
    // Every file but the timestamp is new (versioned): fsync each, then the folder once, then
    // the timestamp, so the timestamp can never point at a file a power cut lost. Many files (an
    // init, a re-bin) are synced at once with one syncfs instead.
    const syncAtOnce = manyFiles || bins.size > MAX_FSYNCED_FILES;
    let gzipBytes = 0;
    const write = (name: string, md: Metadata<RoleSigned>) => {
      const bytes = serialize(md);
      const sync = { fsyncFile: !syncAtOnce || name === 'timestamp.json', fsyncFolder: false };
      // A precompressed copy for static servers (nginx gzip_static): versioned names only, which never change.
      const level = this.settings.metadataGzipLevel;
      if (level > 0 && name !== 'timestamp.json') {
        const gz = gzipSync(bytes, { level });
        writeFileAtomic(join(this.paths.metadata, `${name}.gz`), gz, sync);
        gzipBytes += gz.length;
      }
      writeFileAtomic(join(this.paths.metadata, name), bytes, sync);
      files.push({ name, bytes: bytes.length });
      return bytes;
    };
    const online = this.settings.targetsExpirySeconds;
    const newBins = new Map<string, Metadata<Targets>>();
    // A bin's signed part does not name the bin: identical bins (all the empty ones at init) share one signature.
    const signatures = new Map<string, Metadata<Targets>['signatures']>();
    for (const [name, t] of bins) {
      // From the snapshot, not this.bins: a bin of an earlier layout may have had the same name.
      const md = new Metadata(new Targets({
        version: (this.snapshot.signed.meta[`${name}.json`]?.version ?? 0) + 1, specVersion: SPEC_VERSION,
        expires: expiresIn(online, now), targets: t.targets,
      }));
      const bytes = canonicalJson(md.signed.toJSON());
      const key = bytes.toString('latin1');
      const { keyId, secretKey } = this.keys.bins;
      if (!signatures.has(key)) signatures.set(key, { [keyId]: new Signature({ keyID: keyId, sig: signBytes(secretKey, bytes) }) });
      md.signatures = { ...signatures.get(key) };
      write(`${md.signed.version}.${name}.json`, md);
      newBins.set(name, md);
    }
    let newTargets = this.targets;
    if (targets) {
      newTargets = Metadata.fromJSON(MetadataKind.Targets, {
        signed: { ...targets.toJSON(), version: targets.version + 1, expires: expiresIn(online, now) }, signatures: [],
      } as JSONObject);
      signMetadata(newTargets, [this.keys.targets]);
      write(`${newTargets.signed.version}.targets.json`, newTargets);
    }
    let snapshot = this.snapshot;
    if (!timestampOnly) {
      const meta: Record<string, MetaFile> = { ...snapshot.signed.meta, 'targets.json': new MetaFile({ version: newTargets.signed.version }) };
      for (const [name, md] of newBins) meta[`${name}.json`] = new MetaFile({ version: md.signed.version });
      snapshot = signMetadata(new Metadata(new Snapshot({
        version: snapshot.signed.version + 1, specVersion: SPEC_VERSION,
        expires: expiresIn(this.settings.snapshotExpirySeconds, now), meta,
      })), [this.keys.snapshot]);
    }
    const snapshotBytes = timestampOnly ? null : write(`${snapshot.signed.version}.snapshot.json`, snapshot);
    const prevMeta = this.timestamp.signed.snapshotMeta;
    const timestamp = signMetadata(new Metadata(new Timestamp({
      version: this.timestamp.signed.version + 1, specVersion: SPEC_VERSION,
      expires: expiresIn(this.settings.timestampExpirySeconds, now),
      snapshotMeta: snapshotBytes
        ? new MetaFile({ version: snapshot.signed.version, length: snapshotBytes.length, hashes: { sha256: sha256Hex(snapshotBytes) } })
        : prevMeta,
    })), [this.keys.timestamp]);
    if (syncAtOnce) syncFilesystem(this.paths.metadata);
    else fsyncDir(this.paths.metadata);
    const timestampBytes = write('timestamp.json', timestamp);
    fsyncDir(this.paths.metadata);
    // Committed: only now does the in-memory view move on.
    for (const [name, md] of newBins) this.bins.set(name, md);
    this.targets = newTargets;
    this.snapshot = snapshot;
    this.timestamp = timestamp;
    this.timestampBytes = timestampBytes;
    return {
      files, metadataBytes: files.reduce((n, f) => n + f.bytes, 0), gzipBytes,
      snapshotVersion: snapshot.signed.version, timestampVersion: timestamp.signed.version,
    };
  }

  /** Bytes of the metadata a device could fetch now: root, targets, every bin, snapshot, timestamp. */
  currentMetadataBytes(): number {
    let n = serialize(this.root).length + serialize(this.targets).length + serialize(this.snapshot).length + this.timestampBytes.length;
    for (const md of this.bins.values()) n += serialize(md).length;
    return n;
  }

  /**
   * Deletes versioned metadata (N.snapshot.json, N.targets.json, N.bins-XX.json) whose successor was
   * written more than `metadataRetentionSeconds` ago; root versions are kept forever (devices walk them).
   */
  pruneSuperseded(now = new Date()): string[] {
    const byRole = new Map<string, number[]>();
    for (const f of readdirSync(this.paths.metadata)) {
      const m = /^(\d+)\.(.+)\.json$/.exec(f);
      if (!m || m[2] === 'root') continue;
      const list = byRole.get(m[2]!) ?? [];
      list.push(Number(m[1]));
      byRole.set(m[2]!, list);
    }
    const cutoff = now.getTime() - this.settings.metadataRetentionSeconds * 1000;
    const current = new Map<string, number>([['snapshot', this.snapshot.signed.version], ['targets', this.targets.signed.version]]);
    for (const [name, md] of this.bins) current.set(name, md.signed.version);
    const deleted: string[] = [];
    for (const [role, versions] of byRole) {
      versions.sort((a, b) => a - b);
      for (let i = 0; i < versions.length - 1; i++) {
        if (versions[i]! >= (current.get(role) ?? Infinity)) break;
        const successor = join(this.paths.metadata, `${versions[i + 1]}.${role}.json`);
        if (statSync(successor).mtimeMs > cutoff) break;
        const file = `${versions[i]}.${role}.json`;
        rmSync(join(this.paths.metadata, file), { force: true });
        rmSync(join(this.paths.metadata, `${file}.gz`), { force: true });
        deleted.push(file);
      }
    }
    return deleted;
  }
}
