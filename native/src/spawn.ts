// Confined launches: spawn/wait over cpp/launch.cc, and the path of the standalone launcher.
import { constants } from 'node:os';
import { join } from 'node:path';
import { existsSync, realpathSync } from 'node:fs';
import { NotRootError, SkiffError } from '@skiff/bundle/errors';
import type { LaunchPlan, ExitStatus } from './plan';
import { LaunchError, isNativeFailure } from './errors';
import { native, buildDir } from './loader';
import { validatePlan } from './validate';

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export interface SpawnOptions {
  /** Descriptors that become the child's 0, 1 and 2 (default: this process's own). */
  stdio?: [number, number, number];
}

function checkStdio(stdio: unknown): [number, number, number] {
  if (stdio === undefined) return [0, 1, 2];
  if (!Array.isArray(stdio) || stdio.length !== 3) throw new TypeError('opts.stdio must be an array of 3 file descriptors');
  for (const [i, fd] of stdio.entries()) {
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`opts.stdio[${i}] must be a file descriptor (an integer >= 0)`);
  }
  return stdio as [number, number, number];
}

function launchError(e: unknown, plan: LaunchPlan): never {
  if (!isNativeFailure(e)) throw e;
  const row = e.row ?? -1;
  const where = row >= 0 && row < plan.mounts.length ? ` (mounts[${row}] ${plan.mounts[row].target}: ${plan.mounts[row].reason})` : '';
  throw new LaunchError(`launch failed at ${e.step}: ${e.description}${where}`, e.step, e.errno, row >= 0 ? row : undefined);
}

/**
 * Starts one confined process and returns its pid once it has exec'd; throws LaunchError naming
 * the failed step (the child is then reaped and its cgroup removed). Call wait(pid) to reap it.
 */
export function spawn(plan: LaunchPlan, opts: SpawnOptions = {}): number {
  validatePlan(plan);
  if (typeof opts !== 'object' || opts === null) throw new TypeError('opts must be an object');
  const stdio = checkStdio(opts.stdio);
  if (process.getuid?.() !== 0) throw new NotRootError('a confined launch', 'namespaces, mounts and cgroups are root-only for now');
  try {
    return native().spawn(JSON.stringify(plan), stdio[0], stdio[1], stdio[2]);
  } catch (e) {
    return launchError(e, plan);
  }
}

/** A new pipe as [readFd, writeFd], both close-on-exec: pass writeFd in stdio, then close it here. */
export function openPipe(): [number, number] {
  try {
    return native().pipe();
  } catch (e) {
    if (isNativeFailure(e)) throw new SkiffError('pipe-failed', `cannot create a pipe: ${e.description}`);
    throw e;
  }
}

/** Resolves when pid exits (without blocking the event loop), then removes its cgroup. */
export async function wait(pid: number): Promise<ExitStatus> {
  if (!Number.isInteger(pid) || pid <= 0) throw new TypeError('pid must be a positive integer');
  let status: { code: number | null; signal: number | null };
  try {
    status = await native().wait(pid);
  } catch (e) {
    if (isNativeFailure(e)) throw new SkiffError('wait-failed', `waiting for pid ${pid} failed: ${e.message}`);
    throw e;
  }
  return { code: status.code, signal: status.signal === null ? null : signalNames.get(status.signal) ?? `SIG${status.signal}` };
}

/**
 * Sends a signal to a launched app (pid as returned by spawn: the sandbox's init, which passes every
 * signal but SIGKILL on to the app, whose own disposition decides). SIGKILL ends the whole sandbox.
 * Returns the signal sent.
 */
export function kill(pid: number, signal: NodeJS.Signals | number = 'SIGTERM'): NodeJS.Signals | number {
  if (!Number.isInteger(pid) || pid <= 0) throw new TypeError('pid must be a positive integer');
  const sig = typeof signal === 'number' ? signal : constants.signals[signal];
  if (!Number.isInteger(sig) || sig <= 0) throw new TypeError(`unknown signal ${String(signal)}`);
  process.kill(pid, signal);
  return signal;
}

/** Path of the standalone `skiff-launch` executable: `skiff-launch PLAN.json [ARGS...]`. */
export function launcherPath(): string {
  const path = join(buildDir(), 'skiff-launch');
  if (!existsSync(path)) throw new SkiffError('native-missing', `skiff-launch is not built: ${path} is missing (run \`npm run build --workspace native\`)`);
  // Its real place: an installed Skiff links build/Release to PREFIX/libexec/skiff, which wrappers should name.
  return realpathSync(path);
}

/** Path of `skiff-shim`, the parent of one service (cpp/shim_main.cc says what it records). */
export function shimPath(): string {
  const path = join(buildDir(), 'skiff-shim');
  if (!existsSync(path)) throw new SkiffError('native-missing', `skiff-shim is not built: ${path} is missing (run \`npm run build --workspace native\`)`);
  return realpathSync(path);
}

/**
 * The seccomp programs (classic BPF, struct sock_filter[]) that spawn would load for this plan, in
 * load order: the ioctl guard, then the allowlist. For inspection and for other sandboxes (bwrap --add-seccomp-fd).
 */
export function compileSeccomp(plan: LaunchPlan): Buffer[] {
  try {
    return native().compileSeccomp(JSON.stringify(plan));
  } catch (e) {
    return launchError(e, plan);
  }
}
