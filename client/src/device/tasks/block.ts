import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import type { BlockedRow } from '../state';

export interface BlockParams { name: string; rev: number; reason: string }

/** Revert: keeps the reverted-from revision from coming back by automatic refresh. */
export const blockTask: TaskHandler<DeviceEnv, BlockParams> = {
  async do(env, task) {
    const p = task.params;
    const { state } = env.device;
    task.decide('wasBlocked', () => state.isBlocked(p.name, p.rev));
    state.tx(() => state.block(p.name, p.rev, p.reason));
  },
  async undo(env, task) {
    const p = task.params;
    if (task.data.wasBlocked === false) env.device.state.tx(() => env.device.state.unblock(p.name, p.rev));
  },
};

export interface UnblockParams { name: string; rev: number }

/** Revert to a revision: the owner chose it, so its block goes (undo puts the same block back). */
export const unblockTask: TaskHandler<DeviceEnv, UnblockParams> = {
  async do(env, task) {
    const p = task.params;
    const { state } = env.device;
    // Recorded before the delete, so a rerun after a crash still knows what to restore.
    task.decide<BlockedRow | null>('block', () => state.blockedRow(p.name, p.rev) ?? null);
    state.tx(() => state.unblock(p.name, p.rev));
  },
  async undo(env, task) {
    const b = task.data.block as BlockedRow | null | undefined;
    if (b) env.device.state.tx(() => env.device.state.block(b.name, b.rev, b.reason, b.at));
  },
};

export interface ForgetBlocksParams { name: string }

/** remove --purge, after the commit point: the device forgets every block of the app with its data. */
export const forgetBlocks: TaskHandler<DeviceEnv, ForgetBlocksParams> = {
  async do(env, task) {
    const { state } = env.device;
    state.tx(() => state.unblockAll(task.params.name));
  },
  async undo() { /* past the commit point */ },
};
