import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';

export interface WrappersParams { name: string; rev: number; from: number | null }

/** Writes the launch wrappers of the new revision (undo: those of the previous one, or none). */
export const wrappers: TaskHandler<DeviceEnv, WrappersParams> = {
  async do(env, task) {
    const p = task.params;
    env.backend.writeWrappers(env.device.appContext(p.name, p.rev));
  },
  async undo(env, task) {
    const p = task.params;
    if (p.from === null || !env.device.state.app(p.name)) env.backend.removeWrappers(env.device.root, p.name);
    else env.backend.writeWrappers(env.device.appContext(p.name, p.from));
  },
};

/** Remove: deletes the app's wrappers (undo: writes those of the revision that stays). */
export const unwrap: TaskHandler<DeviceEnv, WrappersParams> = {
  async do(env, task) {
    const p = task.params;
    env.backend.removeWrappers(env.device.root, p.name);
  },
  async undo(env, task) {
    const p = task.params;
    env.backend.writeWrappers(env.device.appContext(p.name, p.rev));
  },
};
