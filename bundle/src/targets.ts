// The targets of the store's TUF repository as both sides see them: the store writes these paths and
// documents, devices look them up and check them. Changing one is a change of the repository format.

/** The target of one revision's bundle. */
export function bundleTargetPath(name: string, revision: number): string {
  return `apps/${name}/${revision}.skiff`;
}

/** The target of an app's channel map. */
export function channelMapTargetPath(name: string): string {
  return `apps/${name}/channels.json`;
}

/** The channel map document: full channel names ('latest/stable') → revision; closed channels are absent. */
export interface ChannelMapDocument {
  name: string;
  channels: Record<string, { revision: number; version: string }>;
}

/** The signed custom fields of a bundle target (strings and integers only: canonical JSON has no floats). */
export interface BundleTargetCustom {
  name: string;
  revision: number;
  version: string;
  publisher: string;
}

/** The target of a delta from revision `from` to revision `to` (docs/deltas.md). */
export function deltaTargetPath(name: string, from: number, to: number): string {
  return `apps/${name}/${to}.from-${from}.delta`;
}

/** The signed custom fields of a delta target: the revisions it joins and the full bundle it must rebuild. */
export interface DeltaTargetCustom {
  name: string;
  /** The revision the device must have. */
  source: number;
  /** The revision the delta rebuilds. */
  target: number;
  /** sha256 and length of the target revision's full bundle (its own target's signed values). */
  bundleSha256: string;
  bundleLength: number;
}
