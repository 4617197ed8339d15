import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HookName } from '@skiff/bundle';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { HookFailedError } from '../errors';

export interface HookParams { name: string; rev: number; hook: HookName; blockOnFailure: boolean }

/** Runs a hook of one revision, confined; a non-zero exit fails the task (and so undoes the change). `skiff abort` kills it. */
export const runHookTask: TaskHandler<DeviceEnv> = {
  async do(env, task) {
    const p = task.params as unknown as HookParams;
    // Most bundles have few hooks: skip the sandbox entirely when this one is absent.
    if (!existsSync(join(env.device.paths.mountDir(p.name, p.rev), 'meta/hooks', p.hook))) return;
    const status = await env.backend.runHook(env.device.appContext(p.name, p.rev), p.hook, task.signal);
    if (status === null || status.code === 0) return;
    const how = status.signal ? `killed by ${status.signal}` : `exit status ${status.code}`;
    task.log(`${p.hook} hook failed: ${how}`);
    if (p.blockOnFailure && !task.signal.aborted) {
      // Recorded before the throw: the rollback keeps it, so refresh will not offer this revision again.
      env.device.state.tx(() => env.device.state.block(p.name, p.rev, `${p.hook} hook failed (${how})`));
    }
    throw new HookFailedError(p.name, p.hook, p.rev, how);
  },
  async undo() { /* a hook has no undo; the tasks around it do */ },
};
