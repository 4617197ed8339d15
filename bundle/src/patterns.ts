/** Bundle, app, plug and key names: lowercase letters, digits and single dashes, no dash at either end. */
export const NAME_PATTERN = '^[a-z0-9](?:-?[a-z0-9])*$';

/** Characters in an app (bundle) name: it becomes folders, TUF target paths, cgroup and wrapper names. */
export const APP_NAME_LENGTH = Object.freeze({ min: 2, max: 40 });

/**
 * App names nobody may register, pack or install: folders the device keeps beside the app folders
 * (`<root>/skiff/bin` holds the wrappers; an app named `bin` would replace them), and words of Skiff and its store.
 */
export const RESERVED_APP_NAMES: ReadonlySet<string> = new Set([
  'bin',
  'skiff', 'skiff-store', 'store', 'system', 'core', 'root', 'admin', 'api', 'repo', 'snap', 'snapd',
]);

/** Why a name cannot name an app; the code is the one the store and the device report. */
export interface AppNameProblem { code: 'name-invalid' | 'name-reserved'; message: string }

const NAME_RE = new RegExp(NAME_PATTERN);

/**
 * The app-name rule, the one the store (register), the device (install, run) and confinement apply:
 * null when `name` may name an app, else why not, in one line.
 */
export function appNameProblem(name: string): AppNameProblem | null {
  const { min, max } = APP_NAME_LENGTH;
  const invalid = (why: string): AppNameProblem => ({ code: 'name-invalid', message: `${JSON.stringify(name)} is not an app name: ${why}` });
  if (!NAME_RE.test(name)) return invalid('use lowercase letters, digits and single dashes, starting and ending with a letter or digit');
  if (name.length < min || name.length > max) return invalid(`it must have ${min}-${max} characters, not ${name.length}`);
  if (RESERVED_APP_NAMES.has(name)) return { code: 'name-reserved', message: `the name "${name}" is reserved (the device or the store uses it): choose another` };
  return null;
}

/** A size in the manifest: a number with K, M or G. */
export const SIZE_PATTERN = '^[1-9][0-9]{0,12}[KMG]$';

/** A duration in the manifest: a whole number of milliseconds, seconds or minutes (500ms, 30s, 2m). */
export const DURATION_PATTERN = '^[1-9][0-9]{0,6}(?:ms|s|m)$';
