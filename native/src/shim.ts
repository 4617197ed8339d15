// skiff-shim, the parent of one service (cpp/shim_main.cc): starting it detached, reading what it
// records, and talking to it over its control socket. When to start and stop is the supervisor's.
import { spawn as spawnProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { LaunchError } from './errors';
import type { ExitStatus } from './plan';
import { shimPath } from './spawn';

/** Log rotation of a service: `current` rotates past maxBytes; files counts current and the rotated ones. */
export interface ShimLogSettings { maxBytes: number; files: number }
export const SHIM_LOG_DEFAULTS: Readonly<ShimLogSettings> = Object.freeze({ maxBytes: 1024 * 1024, files: 5 });

export interface ShimOptions {
  /** The plan file to run (the shim reads it once, at start). */
  plan: string;
  /** Where status.json and the control socket live (made if missing). */
  stateDir: string;
  /** Where `current` and the rotated logs live (made if missing). */
  logDir: string;
  log?: ShimLogSettings;
  /** SIGTERM, then SIGKILL of the whole cgroup after this many milliseconds. */
  stopTimeoutMs: number;
  /** Give the service fd 3 (SKIFF_NOTIFY_FD) to write READY=1 on. */
  notify?: boolean;
}

/** status.json as skiff-shim writes it. */
export interface ShimStatus {
  state: 'starting' | 'running' | 'exited';
  shimPid: number;
  /** Start times: field 22 of /proc/<pid>/stat (clock ticks since boot), to tell a reused pid. */
  shimStart: number;
  /** The sandbox's init (pid 1 inside); the service is its child, appPid. */
  pid?: number;
  pidStart?: number;
  appPid?: number;
  startedAt?: number;
  cgroup?: string[];
  readyAt?: number;
  exit?: ExitStatus;
  endedAt?: number;
  /** Why the launch failed before the service ran. */
  error?: string;
}

export const shimStatusFile = (stateDir: string): string => join(stateDir, 'status.json');
export const shimControlSocket = (stateDir: string): string => join(stateDir, 'control');

/** status.json, or null when there is none (never started) or it cannot be read. */
export function readShimStatus(stateDir: string): ShimStatus | null {
  try {
    return JSON.parse(readFileSync(shimStatusFile(stateDir), 'utf8')) as ShimStatus;
  } catch {
    return null;
  }
}

/**
 * Starts a shim in its own session, not waited for by anyone once this process is gone, and resolves
 * with its pid and the sandbox init's once the service runs; throws LaunchError when it could not start.
 */
export async function startShim(opts: ShimOptions): Promise<{ shimPid: number; pid: number }> {
  for (const dir of [opts.stateDir, opts.logDir]) mkdirSync(dir, { recursive: true, mode: 0o750 });
  const log = opts.log ?? SHIM_LOG_DEFAULTS;
  const args = ['--state', opts.stateDir, '--log', opts.logDir, '--log-max-bytes', String(log.maxBytes),
    '--log-files', String(log.files), '--stop-timeout-ms', String(opts.stopTimeoutMs), ...(opts.notify ? ['--notify'] : []), opts.plan];
  const child = spawnProcess(shimPath(), args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  // The first line is the shim's answer; its stdout is /dev/null afterwards, so the pipe ends.
  await new Promise<void>((resolve) => {
    child.stdout.on('data', () => { if (out.includes('\n')) resolve(); });
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  child.stdout.destroy();
  child.stderr.destroy();
  child.unref();
  const m = /^running (\d+)\n/.exec(out);
  if (!m || child.pid === undefined) {
    const why = out.replace(/^failed /, '').trim() || err.trim() || 'skiff-shim ended without a word';
    throw new LaunchError(`service did not start: ${why}`, 'shim', 0);
  }
  return { shimPid: child.pid, pid: Number(m[1]) };
}

/**
 * Connects to a shim's control socket; `line` gets each line it sends ('running', 'ready'), `closed`
 * fires once when the shim has exited. Resolves null when no shim listens (gone already).
 */
export function watchShim(stateDir: string, line: (text: string) => void, closed: () => void): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(shimControlSocket(stateDir));
    let buffered = '';
    let connected = false;
    socket.once('connect', () => { connected = true; resolve(socket); });
    socket.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        line(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    socket.on('error', () => { /* 'close' follows */ });
    socket.once('close', () => { if (connected) closed(); else resolve(null); });
  });
}
