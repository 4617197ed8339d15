/** Limits of the bundle format, with their units; tests and callers may read them, not change them. */
export const BUNDLE_LIMITS = {
  /** meta/app.yaml larger than this is refused before parsing (bytes). */
  manifestMaxBytes: 64 * 1024,
  /** YAML aliases allowed in a manifest (guards against alias bombs). */
  manifestMaxAliases: 50,
  /** Files, folders and links in one bundle. */
  maxEntries: 200_000,
  /** Symlinks followed while resolving one path inside a bundle (the kernel's ELOOP bound). */
  maxSymlinkHops: 40,
  /** How long mksquashfs may run (milliseconds). */
  mksquashfsTimeoutMs: 10 * 60 * 1000,
  /** How long one unsquashfs listing or cat may run (milliseconds). */
  unsquashfsTimeoutMs: 2 * 60 * 1000,
  /** Output kept from a child process (bytes); a listing longer than this is refused. */
  childOutputMaxBytes: 64 * 1024 * 1024,
  /** Largest cpu share a manifest may ask for (CPUs). */
  maxCpu: 64,
  /** Largest pids limit a manifest may ask for. */
  maxPids: 1_000_000,
} as const;

/** mksquashfs options that make the same tree give the same bytes (docs/design.md, "The bundle format"). */
export const MKSQUASHFS_OPTIONS: readonly string[] = [
  // zstd level 9, not mksquashfs's 15: 10x faster to pack and to rebuild from a delta, for about 5% more bytes
  // (measured on node_modules, docs/deltas.md).
  '-noappend', '-comp', 'zstd', '-Xcompression-level', '9', '-all-root', '-no-xattrs', '-mkfs-time', '0', '-all-time', '0',
  // A bundle folder made by mkdtemp is 0700; the mounted app must be readable by its user.
  '-root-mode', '0755',
  '-quiet', '-no-progress',
];

/** Where the manifest and hooks live inside a bundle. */
export const MANIFEST_PATH = 'meta/app.yaml';
export const HOOKS_DIR = 'meta/hooks';
