// The supervisor's limits, each a named setting with its unit (docs/design.md, "Services").
import { SHIM_LOG_DEFAULTS, type ShimLogSettings } from '@skiff/native';

export interface SupervisorSettings {
  /** The delay between restarts doubles from the service's restart-delay up to this (milliseconds). */
  maxRestartDelayMs: number;
  /** A run at least this long resets the delay to its first value (milliseconds). */
  resetAfterMs: number;
  /** More starts than this within startLimitWindowMs leave the service `failed`. */
  startLimit: number;
  startLimitWindowMs: number;
  /** A `simple` service is up once it has run this long (milliseconds). */
  settleMs: number;
  /** Each service's log: `current` rotated past maxBytes, files kept (current included). */
  log: ShimLogSettings;
}

export const SUPERVISOR_DEFAULTS: Readonly<SupervisorSettings> = Object.freeze({
  maxRestartDelayMs: 60_000,
  resetAfterMs: 10 * 60_000,
  startLimit: 5,
  startLimitWindowMs: 10 * 60_000,
  settleMs: 10_000,
  log: SHIM_LOG_DEFAULTS,
});
