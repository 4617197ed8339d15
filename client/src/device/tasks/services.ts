// Services in changes: stopped before a switch, started after it, and the change commits only once
// each is up (notify: READY=1 within ready-timeout; simple: still running after services.settle-ms).
import { serviceSpecs } from '@skiff/bundle';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { ServiceNotUpError } from '../../services/errors';

export interface StopServicesParams { name: string; rev: number; keepEndure: boolean }
/** waitUp false (install): started, not waited for; nothing older to go back to, and its plugs may not be connected yet. */
export interface StartServicesParams { name: string; rev: number; waitUp: boolean; blockOnFailure: boolean }

const hasServices = (env: DeviceEnv, name: string, rev: number): boolean => {
  const row = env.device.state.revision(name, rev);
  return row !== undefined && serviceSpecs(row.manifest).length > 0;
};

/** Stops the app's services (refresh-mode endure ones kept through a refresh); undo starts them again. */
export const stopServices: TaskHandler<DeviceEnv, StopServicesParams> = {
  async do(env, task) {
    const p = task.params;
    if (!hasServices(env, p.name, p.rev)) return;
    const stopped = await (await env.services()).stopAppServices(p.name, { keepEndure: p.keepEndure });
    if (stopped.length) task.log(`stopped ${stopped.join(', ')}`);
  },
  async undo(env, task) {
    const p = task.params;
    // Undone after the switch was: revision p.rev is current again, and its services run again.
    if (!hasServices(env, p.name, p.rev) || !env.device.state.app(p.name)) return;
    await (await env.services()).startAppServices(p.name, { fresh: true, revision: p.rev });
  },
};

/** Starts the new revision's enabled services and waits until each is up; undo stops them. */
export const startServices: TaskHandler<DeviceEnv, StartServicesParams> = {
  async do(env, task) {
    const p = task.params;
    if (!hasServices(env, p.name, p.rev)) return;
    const sup = await env.services();
    const started = await sup.startAppServices(p.name, { fresh: true, revision: p.rev });
    if (!p.waitUp) return;
    for (const id of started) {
      const app = id.slice(p.name.length + 1);
      try {
        await sup.waitUp(p.name, app);
        task.log(`${id} is up`);
      } catch (e) {
        const why = (e as Error).message;
        task.log(`${id} is not up: ${why}`);
        // Recorded before the throw: the rollback keeps it, so refresh will not offer this revision again.
        if (p.blockOnFailure) env.device.state.tx(() => env.device.state.block(p.name, p.rev, `service ${id} not up (${why})`));
        throw new ServiceNotUpError(id, why);
      }
    }
  },
  async undo(env, task) {
    const p = task.params;
    if (!hasServices(env, p.name, p.rev)) return;
    await (await env.services()).stopAppServices(p.name, { keepEndure: false });
  },
};
