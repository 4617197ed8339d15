// How the publisher verbs show things to people: the channel map as a table, search results.
import { RISKS } from '@skiff/bundle';
import type { AppInfo, SearchResult } from './api';
import { formatTable as table } from '../format';

/** Every track with a released channel, all four risks each; a closed risk shows `-`. */
export function channelTable(info: AppInfo): string {
  const tracks = [...new Set(Object.keys(info.channels).map((c) => c.split('/')[0]!))];
  tracks.sort((a, b) => (a === 'latest' ? -1 : b === 'latest' ? 1 : a.localeCompare(b)));
  const rows = tracks.flatMap((track) => RISKS.map((risk) => {
    const c = info.channels[`${track}/${risk}`];
    return c ? [`${track}/${risk}`, String(c.revision), c.version, c.released ?? ''] : [`${track}/${risk}`, '-', '-', ''];
  }));
  const head = `${info.name} by ${info.publisher}: ${info.summary || '(no summary yet)'}\n${info.revisions.length} revision(s)`;
  if (rows.length === 0) return `${head}\nno open channels`;
  return `${head}\n${table(['CHANNEL', 'REVISION', 'VERSION', 'RELEASED'], rows)}`;
}

export function searchTable(results: SearchResult[]): string {
  if (results.length === 0) return 'no matching apps';
  return table(['NAME', 'VERSION', 'PUBLISHER', 'SUMMARY'], results.map((r) => [r.name, r.version ?? '-', r.publisher, r.summary]));
}
