// The device's view of the store, verified by tuf-js over <root>/var/lib/skiff/trust/.
import { DownloadFailedError, NotInStoreError, TrustRefusedError } from './errors';
import { downloadBundle } from './download';
import { StoreFetcher } from './fetcher';
import { MetadataStore } from './metadata-store';
import { trustSettings, type TrustSettings } from './settings';
import { bundleTargetPath, channelMapTargetPath, deltaTargetPath } from '@skiff/bundle';
import { checkStoreAppName, checkRevision, parseChannelMap, toBundleTarget, toDeltaTarget } from './targets';
import type { BundleTarget, ChannelMap, DeltaTarget, DownloadOptions, SignedFile } from './types';
import { VerifiedRepository } from './updater';

export interface DeviceTrustOptions {
  /** Holds root.json (and root.shipped.json, kept aside) and the cached TUF metadata. */
  trustDir: string;
  /** Base URL of the store; the TUF repository is under <storeUrl>/repo/. */
  storeUrl: string;
  /** Overrides of the named limits in settings.ts (tests use short timeouts). */
  settings?: Partial<TrustSettings>;
}

export class DeviceTrust {
  readonly settings: TrustSettings;
  private readonly metadata: MetadataStore;
  private readonly fetcher: StoreFetcher;
  private readonly repo: VerifiedRepository;
  /** The channel maps verified so far: a missing target a map names is a refusal, not a mere not-found. */
  private readonly maps = new Map<string, ChannelMap>();
  /** Metadata work runs one step at a time: skiffd's changes of different apps share one trust folder. */
  private metadataQueue: Promise<unknown> = Promise.resolve();

  constructor(readonly opts: DeviceTrustOptions) {
    this.settings = trustSettings(opts.settings);
    this.metadata = new MetadataStore(opts.trustDir);
    this.fetcher = new StoreFetcher(this.settings);
    this.repo = new VerifiedRepository(this.metadata, this.fetcher, this.settings, opts.storeUrl);
  }

  /** Writes the root a device ships with (setup): the trust anchor and its untouched fallback copy. */
  /** Checks that bytes are a valid, self-signed TUF root, writing nothing. */
  static async checkRoot(rootJson: Buffer): Promise<void> {
    await MetadataStore.checkRoot(rootJson);
  }

  static async installRoot(trustDir: string, rootJson: Buffer): Promise<void> {
    await new MetadataStore(trustDir).installShippedRoot(rootJson);
  }

  /** Refreshes top-level metadata (timestamp, snapshot, targets) through TUF. */
  async refresh(): Promise<void> {
    await this.serially(() => this.repo.refresh());
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.metadataQueue.then(fn, fn);
    this.metadataQueue = run.catch(() => undefined);
    return run;
  }

  /** The store's timestamp.json in one request: its digest, and whether it is the one verified last (unexpired). */
  async probeTimestamp(): Promise<{ sha256: string; unchanged: boolean }> {
    return this.repo.probeTimestamp();
  }

  /** The verified channel map of an app; throws a SkiffError with code 'not-found' for an unknown app. */
  async channelMap(name: string): Promise<ChannelMap> {
    checkStoreAppName(name);
    const bytes = await this.serially(async () => {
      const target = await this.repo.targetInfo(channelMapTargetPath(name));
      if (!target) throw new NotInStoreError(`the store has no app named ${name}`);
      return this.repo.fetchSmallTarget(target, this.settings.channelMapMaxBytes);
    });
    const map = parseChannelMap(bytes, name);
    this.maps.set(name, map);
    return map;
  }

  /** The verified target of one revision; throws code 'not-found' when the store has no such target
   *  ('trust-refused' when a channel map verified earlier names it). */
  async bundleTarget(name: string, revision: number): Promise<BundleTarget> {
    checkStoreAppName(name);
    checkRevision(revision);
    const target = await this.serially(() => this.repo.targetInfo(bundleTargetPath(name, revision)));
    if (!target) {
      const map = this.maps.get(name);
      const named = [map?.channels ?? {}, ...Object.values(map?.architectures ?? {})].flatMap((chs) => Object.entries(chs));
      const channel = named.find(([, e]) => e.revision === revision)?.[0];
      if (channel) throw new TrustRefusedError(`the channel map of ${name} names revision ${revision} in ${channel}, which the store has not signed; refused`);
      throw new NotInStoreError(`the store has no revision ${revision} of ${name}`);
    }
    return toBundleTarget(target, name, revision);
  }

  /** The bundle a channel points at; a channel naming a revision the store has not signed is refused. */
  async channelTarget(name: string, channel: string): Promise<BundleTarget> {
    const entry = (await this.channelMap(name)).channels[channel];
    if (!entry) throw new NotInStoreError(`${name} has nothing released in ${channel}`);
    return this.bundleTarget(name, entry.revision);
  }

  /** The signed delta from revision `from` to the bundle `bundle`, or null when the store publishes none. */
  async deltaTarget(bundle: BundleTarget, from: number): Promise<DeltaTarget | null> {
    checkRevision(from);
    const target = await this.repo.targetInfo(deltaTargetPath(bundle.custom.name, from, bundle.custom.revision));
    return target ? toDeltaTarget(target, bundle, from) : null;
  }

  /** Downloads, hashes and writes in one streaming pass, resuming dest + '.partial' with Range; renames into dest only when verified. */
  async download(target: BundleTarget | DeltaTarget, dest: string, opts: DownloadOptions = {}): Promise<void> {
    if (!Number.isSafeInteger(target.length) || target.length < 0 || !/^[0-9a-f]{64}$/.test(target.sha256)) {
      throw new DownloadFailedError(`not a verified bundle target: ${target.path}`);
    }
    await downloadBundle({
      url: await this.repo.targetUrl(target),
      target: target satisfies SignedFile,
      label: 'version' in target.custom ? `${target.custom.name} ${target.custom.version}` : `${target.custom.name} delta ${target.custom.source}→${target.custom.target}`,
      dest,
      fetcher: this.fetcher,
      settings: this.settings,
      progress: opts.progress ?? Boolean(process.stderr.isTTY),
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
  }
}
