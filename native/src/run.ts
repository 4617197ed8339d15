// Running a plan: spawn, wait without blocking, kill the whole sandbox on timeout or abort;
// optionally with its output captured. Building the plan is the caller's (confinement's) business.
import type { LaunchPlan, ExitStatus } from './plan';
import { CapturedStdio, type OutputSink } from './capture';
import { spawn, wait, type SpawnOptions } from './spawn';

export interface RunPlanOptions extends SpawnOptions {
  /** Kill the process (and its cgroup) after this many milliseconds. */
  timeoutMs?: number;
  /** Kill it as soon as this fires (a change aborted while its hook runs). */
  signal?: AbortSignal;
  /** Signals this process receives that are passed on to the sandbox's init while it runs (`skiff run`). */
  forwardSignals?: NodeJS.Signals[];
}

/** Options of a captured run: its stdio is always /dev/null and two pipes, so none is taken. */
export interface CapturedRunOptions extends Omit<RunPlanOptions, 'stdio' | 'forwardSignals'> {
  /** Milliseconds to wait after the exit for the pipes to close; default OUTPUT_DRAIN_MS. */
  outputDrainMs?: number;
}

/** Runs a plan and resolves with its exit status (SIGKILL after a timeout or an abort). */
export async function runPlan(plan: LaunchPlan, opts: RunPlanOptions = {}): Promise<ExitStatus> {
  // Listening before the spawn: the app may run (and be signalled, e.g. once it prints "ready") before
  // spawn() returns, and a signal with no listener would end this process instead of reaching the app.
  // To the sandbox's init, which passes them on: the app's own dispositions decide (Ctrl-C exits 130).
  let pid: number | undefined;
  const early: NodeJS.Signals[] = [];
  const forward = (sig: NodeJS.Signals): void => { if (pid === undefined) early.push(sig); else signalQuietly(pid, sig); };
  const forwarded = opts.forwardSignals ?? [];
  for (const sig of forwarded) process.on(sig, forward);
  try {
    pid = spawn(plan, opts);
    for (const sig of early) signalQuietly(pid, sig);
    return await waitOrKill(pid, opts);
  } finally {
    for (const sig of forwarded) process.off(sig, forward);
  }
}

/**
 * Runs a plan with stdin on /dev/null and stdout/stderr passed to the sink; resolves once it has
 * exited (or was killed) and its pipes are drained.
 */
export async function runPlanCaptured(plan: LaunchPlan, sink: OutputSink, opts: CapturedRunOptions = {}): Promise<ExitStatus> {
  const stdio = new CapturedStdio(sink);
  let status: ExitStatus;
  try {
    const pid = spawn(plan, { stdio: stdio.childFds });
    stdio.spawned();
    status = await waitOrKill(pid, opts);
  } catch (e) {
    stdio.abandon();
    throw e;
  }
  await stdio.drained(opts.outputDrainMs);
  return status;
}

// pid is the sandbox's init (pid 1 inside): killing it makes the kernel kill every process inside.
async function waitOrKill(pid: number, opts: Omit<RunPlanOptions, 'stdio'>): Promise<ExitStatus> {
  const timer = opts.timeoutMs ? setTimeout(() => signalQuietly(pid, 'SIGKILL'), opts.timeoutMs) : undefined;
  const onAbort = () => signalQuietly(pid, 'SIGKILL');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await wait(pid);
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function signalQuietly(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* already gone */ }
}
