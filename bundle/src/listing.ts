import type { BundleEntry } from './types';

/** The folder name unsquashfs puts in front of every listed path. */
const LISTING_ROOT = 'squashfs-root';

// mode, uid/gid, size (or major,minor for devices), date, path; see unsquashfs -lln.
const LINE = /^([-dlcbps])([-rwxsStT]{9}) (\d+)\/(\d+) +(\d+|\d+, *\d+) (\d{4,}-\d\d-\d\d \d\d:\d\d) (.*)$/;

const TYPES: Record<string, BundleEntry['type']> = {
  '-': 'file', d: 'dir', l: 'symlink', c: 'char', b: 'block', p: 'fifo', s: 'socket',
};

/**
 * Parses `unsquashfs -lln` output into entries. Lines are handled as bytes (latin1), so a
 * symlink's target is cut by its exact byte length and a name with ' -> ' cannot fool the parser;
 * a line that does not parse (a name with a newline, say) makes the whole listing unreadable.
 */
export function parseListing(stdout: Buffer): BundleEntry[] {
  const entries: BundleEntry[] = [];
  let seenRoot = false;
  const lines = stdout.toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const m = LINE.exec(line);
    if (!m) throw new Error(`cannot read listing line: ${JSON.stringify(utf8(line).slice(0, 200))}`);
    const [, typeChar, perms, uid, gid, sizeText, , rest] = m;
    const type = TYPES[typeChar] as BundleEntry['type'];
    const size = type === 'file' || type === 'symlink' ? Number(sizeText) : 0;
    let name = rest;
    let linkTarget: string | undefined;
    if (type === 'symlink') {
      const arrow = rest.length - size - 4;
      if (arrow < 0 || rest.slice(arrow, arrow + 4) !== ' -> ') throw new Error(`cannot read symlink line: ${JSON.stringify(utf8(line).slice(0, 200))}`);
      name = rest.slice(0, arrow);
      linkTarget = utf8(rest.slice(arrow + 4));
    }
    // The root comes first and only once; a later one would be a forged line.
    if (name === LISTING_ROOT && entries.length === 0 && !seenRoot) { seenRoot = true; continue; }
    if (!name.startsWith(`${LISTING_ROOT}/`)) throw new Error(`unexpected path in listing: ${JSON.stringify(utf8(name))}`);
    const entry: BundleEntry = { path: utf8(name.slice(LISTING_ROOT.length + 1)), type, mode: parseMode(perms), size, uid: Number(uid), gid: Number(gid) };
    if (linkTarget !== undefined) entry.linkTarget = linkTarget;
    entries.push(entry);
  }
  return entries;
}

/** 'rwsr-xr-x' → 0o4755. */
export function parseMode(perms: string): number {
  let mode = 0;
  const bit = (i: number, on: number) => { if (perms[i] !== '-') mode |= on; };
  bit(0, 0o400); bit(1, 0o200); bit(3, 0o040); bit(4, 0o020); bit(6, 0o004); bit(7, 0o002);
  // Execute columns carry setuid/setgid/sticky: s/t = with x, S/T = without.
  const special = (c: string | undefined, x: number, extra: number) => {
    if (c === 'x') mode |= x;
    else if (c === 's' || c === 't') mode |= x | extra;
    else if (c === 'S' || c === 'T') mode |= extra;
  };
  special(perms[2], 0o100, 0o4000); special(perms[5], 0o010, 0o2000); special(perms[8], 0o001, 0o1000);
  return mode;
}

function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
