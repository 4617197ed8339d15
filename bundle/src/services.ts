// A service's settings as the supervisor reads them: the manifest's fields with their defaults, in milliseconds.
import { ManifestError } from './errors';
import { DURATION_PATTERN } from './patterns';
import type { DaemonKind, Manifest, RestartCondition } from './types';

/** What an app without the field gets (docs/design.md, "Services"). */
export const SERVICE_DEFAULTS = Object.freeze({
  restartCondition: 'on-failure' as RestartCondition,
  /** First wait before a restart (milliseconds); it doubles up to maxRestartDelayMs. */
  restartDelayMs: 1000,
  /** SIGTERM, then SIGKILL of the whole cgroup after this (milliseconds). */
  stopTimeoutMs: 30_000,
  /** A notify service that has not said READY=1 after this has failed to start (milliseconds). */
  readyTimeoutMs: 30_000,
});

export interface ServiceSpec {
  /** The app that is the service. */
  app: string;
  daemon: DaemonKind;
  restartCondition: RestartCondition;
  restartDelayMs: number;
  stopTimeoutMs: number;
  readyTimeoutMs: number;
  endure: boolean;
  enabled: boolean;
}

const DURATION_RE = new RegExp(DURATION_PATTERN);

/** Parses a manifest duration (500ms, 30s, 2m) into milliseconds. */
export function parseDuration(text: string): number {
  const m = DURATION_RE.test(text) ? /^(\d+)(ms|s|m)$/.exec(text) : null;
  if (!m) throw new ManifestError(`"${text}" is not a duration: use a whole number with ms, s or m, like 30s`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

/** The services of a manifest (apps with `daemon`), each with its settings resolved. */
export function serviceSpecs(manifest: Manifest): ServiceSpec[] {
  return Object.entries(manifest.apps).filter(([, a]) => a.daemon).map(([app, a]) => ({
    app,
    daemon: a.daemon!,
    restartCondition: a['restart-condition'] ?? SERVICE_DEFAULTS.restartCondition,
    restartDelayMs: a['restart-delay'] ? parseDuration(a['restart-delay']) : SERVICE_DEFAULTS.restartDelayMs,
    stopTimeoutMs: a['stop-timeout'] ? parseDuration(a['stop-timeout']) : SERVICE_DEFAULTS.stopTimeoutMs,
    readyTimeoutMs: a['ready-timeout'] ? parseDuration(a['ready-timeout']) : SERVICE_DEFAULTS.readyTimeoutMs,
    endure: a['refresh-mode'] === 'endure',
    enabled: a['install-mode'] !== 'disable',
  }));
}
