// The targets of the store's TUF repository as both sides see them: the store writes these paths and
// documents, devices look them up and check them. Changing one is a change of the repository format.
import { ARCHITECTURES, type Architecture } from './architectures';

/** The target of one revision's bundle. */
export function bundleTargetPath(name: string, revision: number): string {
  return `apps/${name}/${revision}.skiff`;
}

/** The target of an app's channel map. */
export function channelMapTargetPath(name: string): string {
  return `apps/${name}/channels.json`;
}

/** One channel of a channel map: the revision a device following it gets. */
export interface ChannelMapEntry { revision: number; version: string }

/**
 * The channel map document (docs/design.md, "The TUF repository"): full channel names ('latest/stable')
 * → revision, per architecture; closed channels are absent.
 */
export interface ChannelMapDocument {
  name: string;
  /**
   * What devices from before architectures read: the channels whose revision is the same for every
   * architecture (an `all` revision). A channel holding architecture-specific builds is absent here,
   * so an old device, which cannot say its architecture, never gets another one's build.
   */
  channels: Record<string, ChannelMapEntry>;
  /** Architecture → channel → revision. Absent in maps signed before architectures: then `channels` holds for all. */
  architectures?: Partial<Record<Architecture, Record<string, ChannelMapEntry>>>;
}

/** The channels a device of `arch` follows in a map (old maps: the same for every architecture). */
export function channelsFor(doc: ChannelMapDocument, arch: Architecture): Record<string, ChannelMapEntry> {
  return doc.architectures ? doc.architectures[arch] ?? {} : doc.channels;
}

/** The architectures that have any revision in a map (every one for an old map with channels). */
export function architecturesIn(doc: ChannelMapDocument): Architecture[] {
  return ARCHITECTURES.filter((a) => Object.keys(channelsFor(doc, a)).length > 0);
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
