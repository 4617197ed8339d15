// The device's TUF metadata: our own atomically written copies, the shipped root kept aside, and the
// scratch folder tuf-js works in (it writes non-atomically, so it never writes our copies directly).
import { rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metadata, Root } from '@tufjs/models';
import { processAlive, writeFileAtomic } from '@skiff/bundle';
import { TrustMissingError } from './errors';

/** The root the device was set up with: never overwritten, the fallback when the cached root is corrupt. */
export const SHIPPED_ROOT = 'root.shipped.json';
const WORK_PREFIX = '.work-';
/** The small targets (channel maps) as last verified, one file per target path. */
const SMALL_TARGETS_DIR = 'targets';

/** Parses one metadata file and checks its shape (and, for root, its own signatures); undefined when unusable. */
async function readMetadata(bytes: Buffer, file: string): Promise<Metadata<Root> | object | undefined> {
  const { Metadata, MetadataKind } = require('@tufjs/models') as typeof import('@tufjs/models'); // loaded on first use, like tuf-js
  try {
    const json = JSON.parse(bytes.toString('utf8'));
    if (file.startsWith('root')) {
      const root = Metadata.fromJSON(MetadataKind.Root, json);
      root.verifyDelegate(MetadataKind.Root, root);
      return root;
    }
    if (file === 'timestamp.json') return Metadata.fromJSON(MetadataKind.Timestamp, json);
    if (file === 'snapshot.json') return Metadata.fromJSON(MetadataKind.Snapshot, json);
    return Metadata.fromJSON(MetadataKind.Targets, json);
  } catch {
    return undefined;
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Working folders of this process, removed when it exits (a killed process leaves them to the next sweep). */
const liveWorkDirs = new Set<string>();
process.once('exit', () => { for (const dir of liveWorkDirs) rmSync(dir, { recursive: true, force: true }); });

export class MetadataStore {
  constructor(readonly trustDir: string) {}

  /** Writes a freshly shipped root (device setup): both the trust anchor and its untouched copy. */
  /** Refuses bytes that are not a valid, self-signed TUF root (before anything is written). */
  static async checkRoot(bytes: Buffer): Promise<void> {
    if (!(await readMetadata(bytes, 'root.json'))) throw new TrustMissingError('the root metadata given to trust is not a valid, self-signed TUF root');
  }

  async installShippedRoot(bytes: Buffer): Promise<void> {
    await MetadataStore.checkRoot(bytes);
    writeFileAtomic(join(this.trustDir, SHIPPED_ROOT), bytes);
    writeFileAtomic(join(this.trustDir, 'root.json'), bytes);
  }

  /** The newest root the device trusts: the cached root.json, or the shipped one when the cache is corrupt. */
  async trustedRoot(): Promise<{ bytes: Buffer; root: Metadata<Root> }> {
    for (const file of ['root.json', SHIPPED_ROOT]) {
      const bytes = await readIfExists(join(this.trustDir, file));
      const root = bytes && await readMetadata(bytes, file);
      if (bytes && root) return { bytes, root: root as Metadata<Root> };
    }
    throw new TrustMissingError(`no usable trusted root in ${this.trustDir}; set the device up with the store's root.json`);
  }

  /** Keeps the shipped root aside on first use, when setup wrote only root.json. */
  private async ensureShippedRoot(): Promise<void> {
    const shipped = await readIfExists(join(this.trustDir, SHIPPED_ROOT));
    if (shipped && await readMetadata(shipped, SHIPPED_ROOT)) return;
    const { bytes } = await this.trustedRoot();
    writeFileAtomic(join(this.trustDir, SHIPPED_ROOT), bytes);
  }

  /** A new working folder for one tuf-js Updater, seeded with every cached file that still parses. */
  async seedWorkDir(): Promise<string> {
    await this.ensureShippedRoot();
    await this.sweepWorkDirs();
    const work = await mkdtemp(join(this.trustDir, `${WORK_PREFIX}${process.pid}-`));
    liveWorkDirs.add(work);
    const { bytes } = await this.trustedRoot();
    // The working folder is scratch: plain writes are enough there.
    await writeFile(join(work, 'root.json'), bytes);
    for (const file of await readdir(this.trustDir)) {
      if (!file.endsWith('.json') || file.startsWith('.') || file.startsWith('root')) continue;
      const cached = await readFile(join(this.trustDir, file));
      // A corrupt cached file is left out: tuf-js then fetches it again (rollback checks use what remains).
      if (await readMetadata(cached, file)) await writeFile(join(work, file), cached);
    }
    return work;
  }

  /** Copies into our cache, atomically, each file tuf-js persisted (it persists only verified metadata). */
  async saveFrom(work: string): Promise<void> {
    for (const file of await readdir(work)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      const fresh = await readFile(join(work, file));
      const cached = await readIfExists(join(this.trustDir, file));
      if (cached && cached.equals(fresh)) continue;
      writeFileAtomic(join(this.trustDir, file), fresh);
    }
  }

  /** A cached metadata file as last saved (verified when it was saved), or undefined. */
  async cached(file: string): Promise<Buffer | undefined> {
    return readIfExists(join(this.trustDir, file));
  }

  /** A small target as last verified, if its bytes are still the ones now signed (length and sha256), else undefined. */
  async smallTarget(path: string, length: number, sha256: string): Promise<Buffer | undefined> {
    const bytes = await readIfExists(join(this.trustDir, SMALL_TARGETS_DIR, encodeURIComponent(path)));
    return bytes && bytes.length === length && createHash('sha256').update(bytes).digest('hex') === sha256 ? bytes : undefined;
  }

  /** Keeps a verified small target, so that the next refresh need not download it again while it is unchanged. */
  async saveSmallTarget(path: string, bytes: Buffer): Promise<void> {
    await mkdir(join(this.trustDir, SMALL_TARGETS_DIR), { recursive: true, mode: 0o755 });
    writeFileAtomic(join(this.trustDir, SMALL_TARGETS_DIR, encodeURIComponent(path)), bytes);
  }

  async removeWorkDir(work: string): Promise<void> {
    liveWorkDirs.delete(work);
    await rm(work, { recursive: true, force: true });
  }

  /** Removes working folders left by processes that died (a kill mid-refresh). */
  private async sweepWorkDirs(): Promise<void> {
    for (const entry of await readdir(this.trustDir)) {
      if (!entry.startsWith(WORK_PREFIX)) continue;
      const pid = Number(entry.slice(WORK_PREFIX.length).split('-')[0]);
      if (pid !== process.pid && !processAlive(pid)) await rm(join(this.trustDir, entry), { recursive: true, force: true });
    }
  }
}
