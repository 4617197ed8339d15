/** Bundle, app, plug and key names: lowercase letters, digits and single dashes, no dash at either end. */
export const NAME_PATTERN = '^[a-z0-9](?:-?[a-z0-9])*$';

/** A size in the manifest: a number with K, M or G. */
export const SIZE_PATTERN = '^[1-9][0-9]{0,12}[KMG]$';
