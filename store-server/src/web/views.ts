import { DEFAULT_TRACK, parseChannel, type Manifest } from '@skiff/bundle';
import type { StoreServices } from '../types';

/** One row of an app page's channel map. */
export interface ChannelRowView {
  channel: string; track: string; risk: string; version: string; revision: number; size: number; architectures: string[]; released: string;
}

export interface AppPageView {
  name: string; publisher: string; summary: string; description: string; created: string;
  channels: ChannelRowView[]; plugs: string[];
  /** `skiff install` lines: the default channel first, then one per other open channel. */
  installCommands: string[];
}

/** The architectures a revision is built for, from its manifest: `all` when it names none. The one place pages learn them. */
export function architecturesOf(manifest: Manifest): string[] {
  const listed = (manifest as { architectures?: unknown }).architectures;
  return Array.isArray(listed) && listed.length > 0 ? listed.map(String) : ['all'];
}

/** Every plug the bundle asks for: its own, its apps' and its hooks'. */
export function plugsOf(manifest: Manifest): string[] {
  const plugs = new Set(manifest.plugs ?? []);
  for (const entry of Object.values(manifest.apps)) for (const p of entry.plugs ?? []) plugs.add(p);
  for (const hook of Object.values(manifest.hooks ?? {})) for (const p of hook?.plugs ?? []) plugs.add(p);
  return [...plugs].sort();
}

/** The revision whose manifest describes the app: latest/stable's, else the newest released, else the newest uploaded. */
function describingRevision(channels: Record<string, { revision: number }>, revisions: { revision: number }[]): number | undefined {
  const stable = channels[`${DEFAULT_TRACK}/stable`];
  if (stable) return stable.revision;
  const released = Object.values(channels).map((c) => c.revision);
  if (released.length > 0) return Math.max(...released);
  return revisions.at(-1)?.revision;
}

/** What /apps/NAME shows, read through the same services as GET /v1/apps/NAME. */
export async function appPageView(store: StoreServices, name: string): Promise<AppPageView> {
  const { info, manifest: manifestOf } = store.apps.infoWithManifests(name);
  const sizes = new Map(info.revisions.map((r) => [r.revision, r.size]));
  const channels: ChannelRowView[] = [];
  for (const [channel, c] of Object.entries(info.channels)) {
    const { track, risk } = parseChannel(channel);
    const manifest = await manifestOf(c.revision);
    channels.push({ channel, track, risk, version: c.version, revision: c.revision, size: sizes.get(c.revision) ?? 0, architectures: architecturesOf(manifest), released: c.released });
  }
  const described = describingRevision(info.channels, info.revisions);
  const manifest = described === undefined ? undefined : await manifestOf(described);
  const others = channels.map((c) => c.channel).filter((c) => c !== `${DEFAULT_TRACK}/stable`);
  return {
    name: info.name, publisher: info.publisher, summary: info.summary, created: info.created,
    description: manifest?.description ?? '', plugs: manifest ? plugsOf(manifest) : [], channels,
    installCommands: [`skiff install ${info.name}`, ...others.map((c) => `skiff install ${info.name} --channel ${c}`)],
  };
}

/** 1536 → "1.5 KiB": sizes as people read them. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
