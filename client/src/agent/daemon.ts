// skiffd's life: claim the root, take the device, boot it (re-mount, recover), start the modules,
// listen; on SIGTERM stop at a safe point and leave unfinished changes to the next start's recovery.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { NotRootError } from '@skiff/bundle';
import { openDevice, type Device } from '../device';
import { DeviceLock } from '../device/lock';
import { DeviceAgent } from './agent';
import { claimRoot, clearStaleSocket, releaseRoot } from './claim';
import { agentModules, servicesIn } from './modules';
import { buildServer } from './server';
import type { AgentModule } from './module';

/** Milliseconds SIGTERM waits for running tasks to reach a boundary (skiffd must exit within 10 s). */
export const STOP_DEADLINE_MS = 7_000;

export interface RunningAgent { socket: string; stop(): Promise<void> }

export async function startAgent(root: string, log: Logger, modules: AgentModule[] = agentModules()): Promise<RunningAgent> {
  if (process.getuid?.() !== 0) throw new NotRootError('skiffd', 'it mounts bundles and owns the device state');
  const device: Device = openDevice(root);
  const { paths } = device;
  mkdirSync(dirname(paths.agentSocket), { recursive: true, mode: 0o755 });
  claimRoot(paths);
  let lock: DeviceLock | undefined;
  const started: AgentModule[] = [];
  let server: FastifyInstance | undefined;
  // One supervisor for the agent: its changes (boot recovery's too) and the services module's own acts share it.
  const services = servicesIn(modules);
  const agent = new DeviceAgent(device, log, services && (() => services.open(root, log)));
  const stop = async (): Promise<void> => {
    const settled = await agent.stop(STOP_DEADLINE_MS);
    log.info({ settled, busy: agent.busyApps() }, settled ? 'changes at a safe point' : 'deadline: unfinished changes are left to recovery');
    await server?.close().catch(() => undefined);
    for (const m of started.reverse()) await m.stop().catch((err: unknown) => log.error({ module: m.name, err }, 'module stop failed'));
    lock?.release();
    rmSync(paths.agentSocket, { force: true });
    releaseRoot(paths);
    device.close();
  };
  try {
    await clearStaleSocket(paths);
    // skiffd owns the device while it runs: a `skiff` verb in-process waits for it (the CLI goes through the socket).
    lock = await DeviceLock.acquire(device.state, { wait: true });
    const boot = await agent.ops.bootHeld();
    for (const w of boot.warnings) log.warn({ warning: w }, 'boot');
    log.info({ recovered: boot.recovered.map((c) => ({ id: c.id, status: c.status })) }, `mounted ${device.state.allRevisions().length} revisions`);
    const ctx = agent.context();
    for (const m of modules) { await m.start(ctx); started.push(m); }
    server = await buildServer(agent, log, modules);
    await server.listen({ path: paths.agentSocket });
    // Every local user may ask; what each may do is decided per request from its uid (SO_PEERCRED).
    chmodSync(paths.agentSocket, 0o666);
    log.info({ socket: paths.agentSocket, modules: modules.map((m) => m.name) }, 'skiffd listening');
    return { socket: paths.agentSocket, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
