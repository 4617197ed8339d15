import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { BundleMismatchError } from '../errors';

export interface VerifyParams { name: string; rev: number; version: string }

/** Checks that the bundle's own manifest agrees with the target the store signed (name, version). */
export const verify: TaskHandler<DeviceEnv> = {
  async do(env, task) {
    const p = task.params as unknown as VerifyParams;
    const file = env.device.paths.bundleFile(p.name, p.rev);
    const m = await env.backend.inspectManifest(file);
    if (m.name !== p.name) throw new BundleMismatchError(`bundle of ${p.name} revision ${p.rev} names itself "${m.name}"`, file);
    if (m.version !== p.version) {
      throw new BundleMismatchError(`bundle of ${p.name} revision ${p.rev} has version "${m.version}", the store signed "${p.version}"`, file);
    }
  },
  async undo() { /* reads only */ },
};
