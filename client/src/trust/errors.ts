// Errors of device trust and downloads: one clear line each, with a stable code callers branch on.
import { SkiffError } from '@skiff/bundle';

/** The store's metadata or a bundle failed verification (signature, expiry, rollback, mix-and-match, hash, length). */
export class TrustRefusedError extends SkiffError {
  constructor(message: string) {
    super('trust-refused', message);
  }
}

/** The store could not be reached or answered with an HTTP error (transient: worth retrying, and resuming). */
export class DownloadFailedError extends SkiffError {
  constructor(message: string, readonly url?: string, readonly status?: number, readonly transient = false) {
    super('download-failed', message);
  }
}

/** An app name or revision given by the user breaks the rule (or is reserved), so it cannot name an app. */
export class InvalidNameError extends SkiffError {
  constructor(message: string, code: 'name-invalid' | 'name-reserved' = 'name-invalid') {
    super(code, message);
  }
}

/** The store's signed targets have no such app or revision, or nothing released in that channel. */
export class NotInStoreError extends SkiffError {
  constructor(message: string) {
    super('not-found', message);
  }
}

/** Not enough free disk for a download. */
export class NoSpaceError extends SkiffError {
  constructor(message: string, readonly needed: number, readonly available: number) {
    super('no-space', message);
  }
}

/** The device has no usable trusted root (not set up, or both the cache and the shipped root are unreadable). */
export class TrustMissingError extends SkiffError {
  constructor(message: string) {
    super('trust-missing', message);
  }
}

/** The download was cancelled through its AbortSignal. */
export class DownloadAbortedError extends SkiffError {
  constructor(message: string) {
    super('download-aborted', message);
  }
}
