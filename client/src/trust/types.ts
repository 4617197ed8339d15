// The data DeviceTrust hands to the rest of the device: all of it verified through TUF.
import type { BundleTargetCustom, ChannelMapDocument } from '@skiff/bundle';

/** A channel map verified through TUF (the store's document, see @skiff/bundle targets). */
export type ChannelMap = ChannelMapDocument;

/** A bundle target verified through TUF (apps/<name>/<revision>.skiff). */
export interface BundleTarget {
  path: string;
  length: number;
  sha256: string;
  custom: BundleTargetCustom;
}

export interface DownloadOptions {
  /** Show a progress bar (bytes, rate, ETA) on stderr; default: when stderr is a TTY. */
  progress?: boolean;
  /** Told the bytes on disk as they grow (skiffd shows them as the task's progress). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}
