import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { discardRevision } from './mount';
import { withAppFrozen } from '../appdata';

export interface PruneParams { name: string }

/** Drops the oldest revisions beyond refresh.retain (the current one always stays). */
export const prune: TaskHandler<DeviceEnv, PruneParams> = {
  async do(env, task) {
    const p = task.params;
    const { state } = env.device;
    const drop = task.decide<number[]>('drop', () => {
      const current = state.app(p.name)?.current;
      const others = state.revisions(p.name).filter((r) => r.rev !== current).map((r) => r.rev);
      return others.slice(0, Math.max(0, others.length - (state.retain() - 1)));
    });
    // Frozen: a process still running from a pruned revision has that revision's data as /data.
    await withAppFrozen(p.name, (line) => task.log(line), () => {
      for (const rev of drop) {
        try { discardRevision(env, p.name, rev); } catch (err) {
          // A busy mount stays recorded; the next prune retries it. Never undo a refresh for this.
          task.log(`could not prune revision ${rev}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });
  },
  async undo() { /* past the commit point; nothing pruned can come back */ },
};
