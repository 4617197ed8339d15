// How the publisher verbs show things to people: the channel map as a table, search results.
import { RISKS } from '@skiff/bundle';
import type { AppInfo, SearchResult } from './api';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

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

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
