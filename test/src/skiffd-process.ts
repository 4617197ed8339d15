// A real skiffd for tests that need its event loop free (services answering HTTP, a store in this process):
// started and awaited asynchronously, its JSON log read from a file (a pipe nobody drains while a
// synchronous `skiff` runs could block it), stopped with SIGTERM or killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { DeviceLayout } from '@skiff/bundle';
import { AgentClient } from '@skiff/client/dist/src/agent/client';
import { SKIFFD, AGENT_WAIT_MS } from './device-fixture';

/** Milliseconds between two looks at a condition. */
const POLL_MS = 25;

/** Polls probe until it gives a truthy value or the deadline passes (never a fixed sleep). */
export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

let started = 0;

export class SkiffdProcess {
  readonly api: AgentClient;
  private readonly exited: Promise<number | null>;

  private constructor(readonly root: string, readonly child: ChildProcess, readonly logFile: string) {
    this.api = new AgentClient(new DeviceLayout(root));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number { return this.child.pid!; }

  /** Starts skiffd for root and waits for its own "listening" line (a killed one's socket would say so too early). */
  static async start(root: string, env: Record<string, string> = {}): Promise<SkiffdProcess> {
    const logFile = `${root}.skiffd-${process.pid}-${++started}.log`;
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [SKIFFD, '--root', root], { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    const agent = new SkiffdProcess(root, child, logFile);
    await until('skiffd to listen', () => child.exitCode !== null || readFileSync(logFile, 'utf8').includes(`"pid":${child.pid},"socket":`), AGENT_WAIT_MS);
    if (child.exitCode !== null) throw new Error(`skiffd for ${root} exited ${child.exitCode}: ${readFileSync(logFile, 'utf8')}`);
    return agent;
  }

  /** Its JSON log lines so far (a line still being written is left for the next look). */
  lines(): Record<string, unknown>[] {
    return readFileSync(this.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{') && l.endsWith('}')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Lines whose `event` is event (and `service` is service, when given). */
  events(event: string, service?: string): Record<string, unknown>[] {
    return this.lines().filter((l) => l.event === event && (service === undefined || l.service === service));
  }

  /** SIGTERM and its exit status. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL: no clean-up at all, as a crash or the OOM killer leaves it. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
