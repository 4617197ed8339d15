// Contract stubs for device trust and downloads (issue 4). Replaced by the real modules; keep these names.
import { SkiffError } from '@skiff/bundle';

const todo = (what: string): never => { throw new SkiffError('not-implemented', `${what} is not implemented yet`); };

/** A channel → revision map, as the store publishes it in the TUF target apps/<name>/channels.json. */
export interface ChannelMap {
  name: string;
  /** Keys are full channel names 'track/risk' (e.g. 'latest/stable'); closed channels are absent. */
  channels: Record<string, { revision: number; version: string }>;
}

/** A bundle target verified through TUF (apps/<name>/<revision>.skiff). */
export interface BundleTarget {
  path: string;
  length: number;
  sha256: string;
  custom: { name: string; revision: number; version: string; publisher: string };
}

export interface DownloadOptions {
  /** Show a progress bar (bytes, rate, ETA) on stderr; default: when stderr is a TTY. */
  progress?: boolean;
  signal?: AbortSignal;
}

/** The device's view of the store, verified by tuf-js over <root>/var/lib/skiff/trust/. */
export class DeviceTrust {
  constructor(readonly opts: { trustDir: string; storeUrl: string }) {}
  /** Refreshes top-level metadata (timestamp, snapshot, targets) through TUF. */
  async refresh(): Promise<void> { return todo('DeviceTrust.refresh'); }
  /** The verified channel map of an app; throws a SkiffError with code 'not-found' for an unknown app. */
  async channelMap(name: string): Promise<ChannelMap> { void name; return todo('DeviceTrust.channelMap'); }
  /** The verified target of one revision; throws code 'not-found' when the store has no such target. */
  async bundleTarget(name: string, revision: number): Promise<BundleTarget> { void name; void revision; return todo('DeviceTrust.bundleTarget'); }
  /** Downloads, hashes and writes in one streaming pass, resuming dest + '.partial' with Range; renames into dest only when verified. */
  async download(target: BundleTarget, dest: string, opts: DownloadOptions = {}): Promise<void> { void target; void dest; void opts; return todo('DeviceTrust.download'); }
}
