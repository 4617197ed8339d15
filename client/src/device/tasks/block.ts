import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';

export interface BlockParams { name: string; rev: number; reason: string }

/** Revert: keeps the reverted-from revision from coming back by automatic refresh. */
export const blockTask: TaskHandler<DeviceEnv> = {
  async do(env, task) {
    const p = task.params as unknown as BlockParams;
    const { state } = env.device;
    task.decide('wasBlocked', () => state.isBlocked(p.name, p.rev));
    state.tx(() => state.block(p.name, p.rev, p.reason));
  },
  async undo(env, task) {
    const p = task.params as unknown as BlockParams;
    if (task.data.wasBlocked === false) env.device.state.tx(() => env.device.state.unblock(p.name, p.rev));
  },
};
