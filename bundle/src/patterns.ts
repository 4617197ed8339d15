/** Bundle, app, plug and key names: lowercase letters, digits and single dashes, no dash at either end. */
export const NAME_PATTERN = '^[a-z0-9](?:-?[a-z0-9])*$';

/**
 * App names nobody may register or pack: folders the device keeps beside the app folders
 * (`<root>/skiff/bin` holds the wrappers; an app named `bin` would replace them), and words of Skiff and its store.
 */
export const RESERVED_APP_NAMES: ReadonlySet<string> = new Set([
  'bin',
  'skiff', 'skiff-store', 'store', 'system', 'core', 'root', 'admin', 'api', 'repo', 'snap', 'snapd',
]);

/** A size in the manifest: a number with K, M or G. */
export const SIZE_PATTERN = '^[1-9][0-9]{0,12}[KMG]$';
