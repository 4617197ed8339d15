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
