import { SkiffError } from '@skiff/bundle/errors';

/** The app (or the given revision of it) is not installed on this device. */
export class NotInstalledError extends SkiffError {
  constructor(readonly app: string, revision?: number) {
    super('not-installed', revision === undefined ? `${app} is not installed` : `revision ${revision} of ${app} is not installed`);
  }
}

/** The app is already installed (install of an installed app). */
export class AlreadyInstalledError extends SkiffError {
  constructor(readonly app: string, revision: number) {
    super('already-installed', `${app} is already installed (revision ${revision}); use \`skiff refresh ${app}\``);
  }
}

/** Another change holds the device lock (with --no-wait, or after the wait limit). */
export class ChangeInProgressError extends SkiffError {
  constructor(readonly changeId: number | null, summary: string, readonly pid: number) {
    super('change-in-progress', changeId === null
      ? `another skiff command (pid ${pid}) holds the device lock`
      : `change ${changeId} ("${summary}") is in progress (pid ${pid})`);
  }
}

/** `skiff setup` has not been run under this root (no store URL or trusted root). */
export class NotSetUpError extends SkiffError {
  constructor(root: string) { super('not-set-up', `the device under ${root} is not set up; run \`skiff setup --store URL --trust ROOT_JSON\``); }
}

/** A config key is unknown or its value is out of range. */
export class ConfigError extends SkiffError {
  constructor(message: string, readonly key: string) { super('config-invalid', message); }
}

/** The store has nothing for the tracked channel (nor any more stable risk). */
export class ChannelError extends SkiffError {
  constructor(message: string) { super('channel-not-found', message); }
}

/** The device's architecture is unknown, or an app has no build for it (store or local file). */
export class ArchitectureError extends SkiffError {
  constructor(message: string) { super('architecture-unavailable', message); }
}

/** A downloaded bundle's manifest disagrees with the verified target (name, revision, version). */
export class BundleMismatchError extends SkiffError {
  constructor(message: string, readonly file: string) { super('bundle-mismatch', message); }
}

/** A hook (install, post-refresh, check-health, remove, ...) exited non-zero. */
export class HookFailedError extends SkiffError {
  /** lastOutput: the hook's last lines (cleaned), quoted so the one-line error says why it failed. */
  constructor(readonly app: string, readonly hook: string, readonly revision: number, status: string, readonly lastOutput: string[] = []) {
    super('hook-failed', `${hook} hook of ${app} (revision ${revision}) failed: ${status}`
      + (lastOutput.length > 0 ? `; last output: ${lastOutput.join(' | ')}` : ''));
  }
}

/** There is no revision to revert to, or the asked one is not retained. */
export class RevertError extends SkiffError {
  constructor(message: string) { super('cannot-revert', message); }
}

/** No change with that id. */
export class ChangeNotFoundError extends SkiffError {
  constructor(id: number) { super('change-not-found', `no change with id ${id}`); }
}

/** A change cannot be aborted (finished, or past its commit point). */
export class AbortError extends SkiffError {
  constructor(message: string) { super('cannot-abort', message); }
}

/** The change failed and was undone; the message is the failing task's. */
export class ChangeFailedError extends SkiffError {
  constructor(readonly changeId: number, message: string) { super('change-failed', message); }
}

export { NotRootError } from '@skiff/bundle/errors';

/** The state database is newer than this skiff, or unreadable. */
export class StateError extends SkiffError {
  constructor(message: string) { super('state-invalid', message); }
}

/** An undo failed (a busy mount, a missing tool); the change stays undoing and the next command retries it. */
export class UndoPendingError extends SkiffError {
  constructor(readonly changeId: number, message: string) {
    super('undo-pending', `change ${changeId} could not be undone yet (${message}); the next skiff command tries again`);
  }
}

/** An app's data does not fit its data volume (a refresh's copy of the data, most often). */
export class DataVolumeFullError extends SkiffError {
  constructor(readonly app: string, size: string, setting: string) {
    super('data-volume-full', `the data of ${app} does not fit its ${size} data volume (${setting}); ` +
      `free space in the app's data, or raise the limit with \`skiff config set ${setting} SIZE\``);
  }
}

/** A data volume cannot be mounted or resized (still attached after a remove, a failed tool). */
export class DataVolumeError extends SkiffError {
  constructor(message: string, readonly image: string) { super('data-volume-failed', message); }
}

/** `skiff unblock NAME REVISION` of a revision that is not blocked. */
export class NotBlockedError extends SkiffError {
  constructor(readonly app: string, revision: number, blocked: number[]) {
    super('not-blocked', `revision ${revision} of ${app} is not blocked (blocked: ${blocked.join(', ') || 'none'})`);
  }
}

/** The process is shutting down (skiffd on SIGTERM): the change stops at a task boundary, left to recovery. */
export class StoppingError extends SkiffError {
  constructor(readonly changeId: number) {
    super('agent-stopping', `change ${changeId} stopped at a task boundary as skiffd shuts down; it is recovered when skiffd starts again`);
  }
}
