// The data DeviceTrust hands to the rest of the device: all of it verified through TUF.

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
