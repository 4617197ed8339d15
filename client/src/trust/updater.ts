// tuf-js's Updater over our fetcher and metadata store: every answer it gives is verified TUF data.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { posix } from 'node:path';
import type { TargetFile } from '@tufjs/models';
import type { Updater } from 'tuf-js';
import { PersistError } from 'tuf-js/dist/error';
import { SkiffError } from '@skiff/bundle';
import { DownloadFailedError, TrustRefusedError } from './errors';
import { StoreFetcher, StoreHTTPError } from './fetcher';
import { MetadataStore } from './metadata-store';
import type { TrustSettings } from './settings';

export class VerifiedRepository {
  readonly metadataBaseUrl: string;
  readonly targetBaseUrl: string;
  private updater: Updater | undefined;
  private workDir: string | undefined;

  constructor(readonly store: MetadataStore, readonly fetcher: StoreFetcher, private readonly settings: TrustSettings, storeUrl: string) {
    const base = storeUrl.replace(/\/+$/, '');
    this.metadataBaseUrl = `${base}/repo/metadata`;
    this.targetBaseUrl = `${base}/repo/targets`;
  }

  /** Client workflow 5.3–5.6 (root, timestamp, snapshot, targets), with a fresh Updater each time: tuf-js's is one-shot. */
  async refresh(): Promise<void> {
    const work = await this.store.seedWorkDir();
    const previous = this.workDir;
    this.workDir = work;
    // Loaded on first use: most device commands never talk to the store.
    const { Updater: TufUpdater } = require('tuf-js/dist/updater') as typeof import('tuf-js');
    this.updater = new TufUpdater({
      metadataDir: work,
      metadataBaseUrl: this.metadataBaseUrl,
      targetBaseUrl: this.targetBaseUrl,
      fetcher: this.fetcher,
      config: {
        rootMaxLength: this.settings.rootMaxBytes,
        timestampMaxLength: this.settings.timestampMaxBytes,
        snapshotMaxLength: this.settings.snapshotMaxBytes,
        targetsMaxLength: this.settings.targetsMaxBytes,
        maxRootRotations: this.settings.maxRootRotations,
      },
    });
    if (previous) await this.store.removeWorkDir(previous);
    const updater = this.updater;
    try {
      await this.step(() => updater.refresh());
    } catch (err) {
      this.updater = undefined; // a failed Updater cannot be refreshed again: the next call starts over
      throw err;
    }
  }

  /**
   * One request for the store's timestamp.json, compared with the one this device verified last. Equal
   * bytes, unexpired, mean the repository has not changed since: nothing else need be fetched.
   */
  async probeTimestamp(now = new Date()): Promise<{ sha256: string; unchanged: boolean }> {
    const bytes = await this.step(() => this.fetcher.downloadBytes(`${this.metadataBaseUrl}/timestamp.json`, this.settings.timestampMaxBytes));
    const trusted = await this.store.cached('timestamp.json');
    const expires = trusted && Date.parse((JSON.parse(trusted.toString('utf8')) as { signed: { expires: string } }).signed.expires);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), unchanged: !!trusted && trusted.equals(bytes) && Number(expires) > now.getTime() };
  }

  /** The verified target at path, walking delegations (hashed bins) as needed; undefined when no role lists it. */
  async targetInfo(path: string): Promise<TargetFile | undefined> {
    if (!this.updater) await this.refresh();
    const updater = this.updater!;
    return this.step(() => updater.getTargetInfo(path));
  }

  /** Where the store serves a target: <sha256>.<basename> beside its path when the root asks for consistent snapshots. */
  async targetUrl(target: { path: string; sha256: string }): Promise<string> {
    const { root } = await this.store.trustedRoot();
    const { dir, base } = posix.parse(target.path);
    const file = root.signed.consistentSnapshot ? `${target.sha256}.${base}` : base;
    const path = dir ? `${dir}/${file}` : file;
    return `${this.targetBaseUrl}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** A small target held in memory, checked against its signed length and hashes; not downloaded again while unchanged. */
  async fetchSmallTarget(target: TargetFile, cap: number): Promise<Buffer> {
    if (target.length > cap) throw new TrustRefusedError(`${target.path} is signed as ${target.length} bytes, more than the ${cap} allowed; refused`);
    const sha256 = target.hashes.sha256;
    if (!sha256) throw new TrustRefusedError(`${target.path} has no sha256 in the store's metadata; refused`);
    const kept = await this.store.smallTarget(target.path, target.length, sha256);
    if (kept) return kept;
    const url = await this.targetUrl({ path: target.path, sha256 });
    return this.step(async () => {
      const bytes = await this.fetcher.downloadBytes(url, target.length);
      try {
        await target.verify(Readable.from([bytes]));
      } catch (err) {
        throw new TrustRefusedError(`${target.path} does not match its signed length and hashes; refused`);
      }
      await this.store.saveSmallTarget(target.path, bytes);
      return bytes;
    });
  }

  /** Runs one tuf-js step, saves what it persisted into our cache, and turns its errors into ours. */
  private async step<T>(run: () => Promise<T>): Promise<T> {
    this.fetcher.lastFailure = undefined;
    try {
      return await run();
    } catch (err) {
      throw explain(err, this.fetcher.lastFailure);
    } finally {
      if (this.workDir) await this.store.saveFrom(this.workDir);
    }
  }
}

/** tuf-js reports snapshot and targets failures as a RuntimeError carrying only the inner message. */
const WRAPPED = /^Unable to load (snapshot metadata|targets) error (?:\w*Error: )?/;

/** One clear line for a tuf-js failure: a refusal of the store's metadata, or a download failure. */
export function explain(err: unknown, lastFailure?: Error): Error {
  if (err instanceof SkiffError) return err;
  if (err instanceof StoreHTTPError) return new DownloadFailedError(err.message, err.url, err.statusCode, err.statusCode >= 500);
  if (!(err instanceof Error)) return new TrustRefusedError(`store metadata refused: ${String(err)}`);
  // A fetcher failure wrapped by tuf-js: report the original, with its class and code.
  if (lastFailure && err !== lastFailure && err.message.includes(lastFailure.message)) return explain(lastFailure);
  if (err instanceof PersistError || (err as NodeJS.ErrnoException).code) return err;
  const inner = err.message.replace(WRAPPED, '');
  const role = WRAPPED.exec(err.message)?.[1]?.startsWith('snapshot') ? 'snapshot.json: ' : '';
  const attack = ATTACKS.find(([pattern]) => pattern.test(inner))?.[1];
  return new TrustRefusedError(`store metadata refused${attack ? ` (${attack})` : ''}: ${role}${inner}`);
}

/** What a tuf-js refusal means, by its message: the attacks TUF stops (docs/threat-model.md). */
const ATTACKS: [RegExp, string][] = [
  [/is expired/, 'expired: freeze attack or a stale mirror'],
  [/signed by \d+\/\d+ keys/, 'not signed by the trusted keys'],
  [/less than current version/, 'rollback'],
  [/Expected (hash|length)|does not match snapshot version|doesn't match timestamp/, 'mix-and-match'],
];
