import { BundleRuleError } from './errors';
import { BUNDLE_LIMITS, HOOKS_DIR, MANIFEST_PATH } from './settings';
import { appNameProblem } from './patterns';
import { HOOK_NAMES, type BundleEntry, type HookName, type Manifest } from './types';

/** One reason a bundle tree is refused: the path inside the bundle and why. */
export interface Refusal { path: string; reason: string }

type Resolved = { path: string } | { refusal: string };

/**
 * The rules a bundle tree must pass, at pack and again at upload (docs/design.md, "The bundle format").
 * Works on entry lists only, so a folder on disk and a squashfs listing are judged alike,
 * and no host symlink is ever followed.
 */
export function findRefusals(manifest: Manifest, entries: readonly BundleEntry[]): Refusal[] {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const refusals: Refusal[] = [];
  const refuse = (path: string, reason: string) => refusals.push({ path, reason });

  if (entries.length > BUNDLE_LIMITS.maxEntries) refuse('.', `more than ${BUNDLE_LIMITS.maxEntries} files`);
  for (const e of entries) {
    const why = entryRefusal(e, byPath);
    if (why) refuse(e.path, why);
  }

  const nameProblem = appNameProblem(manifest.name);
  if (nameProblem) refuse(MANIFEST_PATH, nameProblem.message);

  const manifestEntry = byPath.get(MANIFEST_PATH);
  if (!manifestEntry) refuse(MANIFEST_PATH, 'missing: every bundle needs a manifest');
  else if (manifestEntry.type !== 'file') refuse(MANIFEST_PATH, `must be a regular file, not a ${manifestEntry.type}`);

  for (const [app, entry] of Object.entries(manifest.apps)) {
    const why = executableRefusal(entry.command, byPath);
    if (why) refuse(entry.command, `${why} (command of app ${app})`);
  }

  const declared = new Set(Object.keys(manifest.hooks ?? {}));
  for (const hook of declared) {
    const path = `${HOOKS_DIR}/${hook}`;
    const why = executableRefusal(path, byPath);
    if (why) refuse(path, `${why} (hook ${hook} is declared in ${MANIFEST_PATH})`);
  }
  for (const e of entries) {
    if (!e.path.startsWith(`${HOOKS_DIR}/`) || e.path.slice(HOOKS_DIR.length + 1).includes('/')) continue;
    const hook = e.path.slice(HOOKS_DIR.length + 1);
    if (!(HOOK_NAMES as readonly string[]).includes(hook)) {
      refuse(e.path, `not a known hook (known: ${HOOK_NAMES.join(', ')})`);
    } else if (!declared.has(hook as HookName)) {
      refuse(e.path, `hook file present but not declared under hooks: in ${MANIFEST_PATH}`);
    }
  }
  return refusals;
}

/** Throws a BundleRuleError naming the first refused path and why (and how many more there are). */
export function checkBundleTree(manifest: Manifest, entries: readonly BundleEntry[]): void {
  const refusals = findRefusals(manifest, entries);
  const first = refusals[0];
  if (!first) return;
  const more = refusals.length > 1 ? ` (and ${refusals.length - 1} more refused path${refusals.length > 2 ? 's' : ''})` : '';
  throw new BundleRuleError(`refused ${first.path}: ${first.reason}${more}`, first.path);
}

/** Resolves a path inside the bundle through the bundle's own symlinks; refuses one that leaves it. */
export function resolveInBundle(path: string, byPath: ReadonlyMap<string, BundleEntry>, start: string[] = []): Resolved {
  const stack = [...start];
  const pending = path.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) return { refusal: 'leaves the bundle' };
      stack.pop();
      continue;
    }
    stack.push(part);
    const entry = byPath.get(stack.join('/'));
    if (entry?.type !== 'symlink') continue;
    if (++hops > BUNDLE_LIMITS.maxSymlinkHops) return { refusal: `more than ${BUNDLE_LIMITS.maxSymlinkHops} symlinks deep (a loop?)` };
    const target = entry.linkTarget ?? '';
    if (target.startsWith('/')) return { refusal: `goes through ${entry.path} -> ${target}, an absolute link that leaves the bundle` };
    stack.pop();
    pending.unshift(...target.split('/'));
  }
  return { path: stack.join('/') };
}

function entryRefusal(e: BundleEntry, byPath: ReadonlyMap<string, BundleEntry>): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(e.path)) return 'the name contains a control character';
  // Pack makes every file root's (-all-root): another owner means a hand-made image, and its uid could be a user of the device.
  if ((e.uid ?? 0) !== 0 || (e.gid ?? 0) !== 0) return `owned by uid ${e.uid ?? 0} gid ${e.gid ?? 0}: every file of a bundle must belong to root (skiff pack makes them so)`;
  switch (e.type) {
    case 'char': case 'block': return `a ${e.type} device node is not allowed in a bundle`;
    case 'fifo': return 'a FIFO (named pipe) is not allowed in a bundle';
    case 'socket': return 'a socket is not allowed in a bundle';
    case 'symlink': return symlinkRefusal(e, byPath);
    case 'file':
      if (e.mode & 0o4000) return `setuid file (mode ${octal(e.mode)}) is not allowed in a bundle`;
      if (e.mode & 0o2000) return `setgid file (mode ${octal(e.mode)}) is not allowed in a bundle`;
      return undefined;
    case 'dir': return undefined;
  }
}

function symlinkRefusal(e: BundleEntry, byPath: ReadonlyMap<string, BundleEntry>): string | undefined {
  const target = e.linkTarget ?? '';
  if (target === '') return 'symlink with an empty target';
  if (target.startsWith('/')) return `symlink to ${target}: an absolute target leaves the bundle`;
  const r = resolveInBundle(target, byPath, e.path.split('/').slice(0, -1));
  return 'refusal' in r ? `symlink to ${target}: ${r.refusal}` : undefined;
}

// A command or hook must end, through in-bundle links only, at an executable regular file.
function executableRefusal(path: string, byPath: ReadonlyMap<string, BundleEntry>): string | undefined {
  if (path.startsWith('/')) return 'absolute path: must be relative to the bundle';
  if (path.split('/').includes('..')) return "contains '..': must stay inside the bundle";
  const r = resolveInBundle(path, byPath);
  if ('refusal' in r) return r.refusal;
  const target = byPath.get(r.path);
  if (!target) return 'missing from the bundle';
  if (target.type !== 'file') return `is a ${target.type}, not an executable file`;
  if ((target.mode & 0o111) === 0) return `not executable (mode ${octal(target.mode)}); chmod +x it`;
  return undefined;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
