// One skiffd per device root: its pid file names it; a stale socket is removed only once nothing answers on it.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import type { DeviceLayout } from '@skiff/bundle';
import { processStartTime } from '../device/lock';
import { AgentRunningError } from './errors';

/** Milliseconds to wait for a live agent to accept on an existing socket before calling it stale. */
export const STALE_SOCKET_PROBE_MS = 1_000;

/** The pid of the live agent named by the pid file, or null (none, or a dead one). */
export function livePid(layout: DeviceLayout): number | null {
  let text: string;
  try { text = readFileSync(layout.agentPidFile, 'utf8'); } catch { return null; }
  const [pid, start] = text.trim().split(' ');
  return pid && start && processStartTime(Number(pid)) === start ? Number(pid) : null;
}

/** Writes our pid file, refusing when a live agent holds it; a dead agent's file is taken over. */
export function claimRoot(layout: DeviceLayout): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(layout.agentPidFile, 'wx', 0o644);
      try { writeSync(fd, `${process.pid} ${processStartTime(process.pid) ?? '0'}\n`); } finally { closeSync(fd); }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = livePid(layout);
      if (pid !== null) throw new AgentRunningError(pid, layout.root);
      rmSync(layout.agentPidFile, { force: true });
    }
  }
  throw new AgentRunningError(livePid(layout) ?? 0, layout.root);
}

/** Removes our pid file (only ours: a successor may have written its own). */
export function releaseRoot(layout: DeviceLayout): void {
  try {
    if (readFileSync(layout.agentPidFile, 'utf8').split(' ')[0] === String(process.pid)) rmSync(layout.agentPidFile, { force: true });
  } catch { /* already gone */ }
}

/** True when something accepts connections on the socket path. */
export function socketAnswers(path: string, timeoutMs = STALE_SOCKET_PROBE_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    const done = (answers: boolean): void => { clearTimeout(timer); sock.destroy(); resolve(answers); };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Removes a socket file left by a dead agent; refuses when a live one still answers on it. */
export async function clearStaleSocket(layout: DeviceLayout): Promise<void> {
  if (await socketAnswers(layout.agentSocket)) throw new AgentRunningError(livePid(layout) ?? 0, layout.root);
  rmSync(layout.agentSocket, { force: true });
}
