// What the supervisor keeps beside each shim's status.json, so a supervisor started later continues
// where this one stopped: the start history (start limit), the restart count, the state and the
// last exit it handled. And each service's startup choice (enabled/disabled), kept across boots.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, type DeviceLayout } from '@skiff/bundle';
import type { ExitStatus } from '@skiff/native';

export type ServicePhase = 'active' | 'inactive' | 'failed';

export interface SupervisorRecord {
  phase: ServicePhase;
  /** startedAt of the run whose end was handled (restart rule applied): never handled twice. */
  handledStart: number | null;
  /** When each recent start happened (milliseconds since the epoch). */
  starts: number[];
  /** Restarts since the last run that lasted resetAfterMs: the delay doubles with each. */
  failures: number;
  lastExit: ExitStatus | null;
  note: string;
  /** The revision the current (or last) run is of. */
  revision: number | null;
  /** When a restart is due (milliseconds since the epoch), or null: a supervisor started later honours it. */
  restartAt: number | null;
}

const fresh = (): SupervisorRecord => ({ phase: 'inactive', handledStart: null, starts: [], failures: 0, lastExit: null, note: '', revision: null, restartAt: null });
const recordFile = (runDir: string): string => join(runDir, 'supervisor.json');

export function readRecord(runDir: string): SupervisorRecord | null {
  try {
    return { ...fresh(), ...(JSON.parse(readFileSync(recordFile(runDir), 'utf8')) as Partial<SupervisorRecord>) };
  } catch {
    return null;
  }
}

export function newRecord(): SupervisorRecord { return fresh(); }

export function writeRecord(runDir: string, rec: SupervisorRecord): void {
  mkdirSync(runDir, { recursive: true, mode: 0o750 });
  writeFileAtomic(recordFile(runDir), JSON.stringify(rec) + '\n', 0o644);
}

/** `<name>.<app>` of every service folder under the run dir (those with records or a shim). */
export function recordedServices(layout: DeviceLayout): string[] {
  try {
    return readdirSync(layout.servicesRunDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

const startupFile = (layout: DeviceLayout, id: string): string => join(layout.stateDir, 'services', `${id}.json`);

/** The admin's choice (start --enable / stop --disable), or undefined: install-mode decides. */
export function readStartup(layout: DeviceLayout, id: string): boolean | undefined {
  try {
    return (JSON.parse(readFileSync(startupFile(layout, id), 'utf8')) as { enabled: boolean }).enabled;
  } catch {
    return undefined;
  }
}

export function writeStartup(layout: DeviceLayout, id: string, enabled: boolean): void {
  mkdirSync(join(layout.stateDir, 'services'), { recursive: true, mode: 0o755 });
  writeFileAtomic(startupFile(layout, id), JSON.stringify({ enabled }) + '\n', 0o644);
}
