import type { HookName } from '@skiff/bundle';
import type { CapturedOutput } from '@skiff/confinement';
import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { HookFailedError } from '../errors';
import { hasHook } from '../run';

export interface HookParams { name: string; rev: number; hook: HookName; blockOnFailure: boolean }

/** Lines of a failed hook's output quoted in its error (the last non-blank ones). */
export const HOOK_ERROR_LINES = 3;
/** Characters of each quoted line kept in that error. */
export const HOOK_ERROR_LINE_MAX_CHARS = 200;

/** Runs a hook of one revision, confined; a non-zero exit fails the task (and so undoes the change). `skiff abort` kills it. */
export const runHookTask: TaskHandler<DeviceEnv, HookParams> = {
  async do(env, task) {
    const p = task.params;
    // Most bundles have few hooks: skip the sandbox entirely when this one is absent (lstat: never follows a link).
    if (!hasHook({ root: env.device.root, name: p.name, revision: p.rev }, p.hook)) return;
    const run = await env.backend.runHook(env.device.appContext(p.name, p.rev), p.hook, task.signal);
    if (run === null) return;
    task.logLines(outputLog(run.output));
    const { status } = run;
    if (status.code === 0) return;
    const how = status.signal ? `killed by ${status.signal}` : `exit status ${status.code}`;
    task.log(`${p.hook} hook failed: ${how}`);
    if (p.blockOnFailure && !task.signal.aborted) {
      // Recorded before the throw: the rollback keeps it, so refresh will not offer this revision again.
      env.device.state.tx(() => env.device.state.block(p.name, p.rev, `${p.hook} hook failed (${how})`));
    }
    throw new HookFailedError(p.name, p.hook, p.rev, how, lastLines(run.output));
  },
  async undo() { /* a hook has no undo; the tasks around it do */ },
};

/** The task-log lines of a hook's output (already cleaned of control sequences), each naming its stream. */
function outputLog(output: CapturedOutput): string[] {
  const dropped = output.droppedBytes > 0 ? [`… ${output.droppedBytes} bytes of output dropped (the oldest)`] : [];
  return [...dropped, ...output.lines.map((l) => `${l.stream}: ${l.text}`)];
}

function lastLines(output: CapturedOutput): string[] {
  return output.lines.map((l) => l.text.trim()).filter((t) => t !== '').slice(-HOOK_ERROR_LINES)
    .map((t) => (t.length > HOOK_ERROR_LINE_MAX_CHARS ? `${t.slice(0, HOOK_ERROR_LINE_MAX_CHARS)}…` : t));
}
