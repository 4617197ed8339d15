/** Every Skiff error carries a stable `code` that callers (and `--json` output) branch on. */
export class SkiffError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** meta/app.yaml is missing, is not YAML, or does not match the schema. */
export class ManifestError extends SkiffError {
  constructor(message: string, readonly field?: string, readonly line?: number) {
    super('manifest-invalid', message);
  }
}

/** A bundle tree or image breaks a packing rule (setuid file, escaping symlink, ...). */
export class BundleRuleError extends SkiffError {
  constructor(message: string, readonly path: string) {
    super('bundle-refused', message);
  }
}

/** A file is not a readable squashfs bundle (wrong magic, truncated, unsquashfs failed). */
export class BundleFormatError extends SkiffError {
  constructor(message: string, readonly file: string) {
    super('bundle-unreadable', message);
  }
}

/** A channel name breaks the one grammar (RISK or TRACK/RISK), wherever it was typed. */
export class ChannelInvalidError extends SkiffError {
  constructor(message: string) {
    super('channel-invalid', message);
  }
}

/** Run by a user other than root where root is needed (device state, mounts and confinement, for now). */
export class NotRootError extends SkiffError {
  constructor(what: string, why = 'device state, mounts and confinement are root-only for now') {
    super('not-root', `${what} needs root: ${why}`);
  }
}

/** A key file is missing, unreadable or malformed. */
export class KeyError extends SkiffError {
  constructor(message: string) {
    super('key-invalid', message);
  }
}
