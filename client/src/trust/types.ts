// The data DeviceTrust hands to the rest of the device: all of it verified through TUF.
import type { BundleTargetCustom, ChannelMapDocument, DeltaTargetCustom } from '@skiff/bundle';

/** A channel map verified through TUF (the store's document, see @skiff/bundle targets). */
export type ChannelMap = ChannelMapDocument;

/** A target's signed path, length and sha256: all a download checks. */
export interface SignedFile {
  path: string;
  length: number;
  sha256: string;
}

/** A bundle target verified through TUF (apps/<name>/<revision>.skiff). */
export interface BundleTarget extends SignedFile {
  custom: BundleTargetCustom;
}

/** A delta target verified through TUF (apps/<name>/<to>.from-<from>.delta), checked against its bundle's target. */
export interface DeltaTarget extends SignedFile {
  custom: DeltaTargetCustom;
}

export interface DownloadOptions {
  /** Show a progress bar (bytes, rate, ETA) on stderr; default: when stderr is a TTY. */
  progress?: boolean;
  /** Told the bytes on disk as they grow (skiffd shows them as the task's progress). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}
