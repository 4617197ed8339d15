// How the publisher verbs show things to people: the channel map as a table, search results.
import { ARCHITECTURES, RISKS, compareChannels } from '@skiff/bundle';
import type { AppInfo, ChannelEntry, ReleaseResult, SearchResult } from './api';
import { formatTable as table } from '../format';

/**
 * Every track with a released channel, all four risks each; a closed risk shows `-`. With builds per
 * architecture, an ARCH column: `all` where every architecture shares the revision, else a row per build.
 */
export function channelTable(info: AppInfo): string {
  const byArch = info.architectures ?? {};
  const split = Object.values(byArch).some((chs) => Object.keys(chs ?? {}).some((c) => !info.channels[c]));
  const names = new Set([...Object.keys(info.channels), ...Object.values(byArch).flatMap((chs) => Object.keys(chs ?? {}))]);
  const tracks = [...new Set([...names].map((c) => c.split('/')[0]!))].sort((a, b) => compareChannels(`${a}/stable`, `${b}/stable`));
  const row = (channel: string, arch: string | null, c: ChannelEntry | undefined) =>
    [channel, ...(arch === null ? [] : [arch]), ...(c ? [String(c.revision), c.version, c.released ?? ''] : ['-', '-', ''])];
  const rows = tracks.flatMap((track) => RISKS.flatMap((risk) => {
    const channel = `${track}/${risk}`;
    const shared = info.channels[channel];
    if (!split || shared) return [row(channel, split ? 'all' : null, shared)];
    const builds = ARCHITECTURES.filter((a) => byArch[a]?.[channel]);
    return builds.length ? builds.map((a) => row(channel, a, byArch[a]![channel])) : [row(channel, '-', undefined)];
  }));
  const head = `${info.name} by ${info.publisher}: ${info.summary || '(no summary yet)'}\n${info.revisions.length} revision(s)`;
  if (rows.length === 0) return `${head}\nno open channels`;
  return `${head}\n${table(['CHANNEL', ...(split ? ['ARCH'] : []), 'REVISION', 'VERSION', 'RELEASED'], rows)}`;
}

/** `released hello revision 3 to latest/stable`, plus `for arm64` when the revision is not for every architecture. */
export function releasedLine(r: ReleaseResult): string {
  const some = r.released && r.released.length < ARCHITECTURES.length ? ` for ${r.released.join(', ')}` : '';
  return `released ${r.name} revision ${r.revision} to ${r.channel}${some}`;
}

export function searchTable(results: SearchResult[]): string {
  if (results.length === 0) return 'no matching apps';
  return table(['NAME', 'VERSION', 'PUBLISHER', 'SUMMARY'], results.map((r) => [r.name, r.version ?? '-', r.publisher, r.summary]));
}
