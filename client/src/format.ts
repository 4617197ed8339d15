// How the skiff command shows sizes and tables to people: one formatter of each for every verb.

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** 4096 → "4.0 KiB"; under 1 KiB, "512 B". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < BINARY_UNITS.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(1)} ${BINARY_UNITS[i]}`;
}

/** Columns padded to their widest cell, two spaces apart; the last column is never padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
