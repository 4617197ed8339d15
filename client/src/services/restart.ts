// The restart rules, as pure functions of what happened (the supervisor does the timing).
import type { RestartCondition } from '@skiff/bundle';
import type { ExitStatus } from '@skiff/native';
import type { SupervisorSettings } from './settings';

/** snap's (and systemd's) restart conditions: a clean exit is code 0; abnormal is a signal. */
export function shouldRestart(condition: RestartCondition, exit: ExitStatus): boolean {
  const clean = exit.code === 0;
  switch (condition) {
    case 'always': return true;
    case 'on-failure': return !clean;
    case 'on-abnormal': return exit.signal !== null;
    case 'never': return false;
  }
}

/** The wait before restart number `failures` (1 for the first): doubling from the service's delay, capped. */
export function restartDelay(firstMs: number, failures: number, s: Pick<SupervisorSettings, 'maxRestartDelayMs'>): number {
  return Math.min(firstMs * 2 ** Math.max(0, failures - 1), s.maxRestartDelayMs);
}

/** Start times still inside the window (the start limit counts these). */
export function recentStarts(starts: number[], now: number, s: Pick<SupervisorSettings, 'startLimitWindowMs'>): number[] {
  return starts.filter((t) => now - t < s.startLimitWindowMs);
}

/** One line for an exit status: "exited with code 3", "killed by SIGKILL". */
export function describeExit(exit: ExitStatus): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
