// Following a change through skiffd: a long poll per update; a progress bar on a TTY, task lines
// when asked (`skiff watch`); Ctrl-C asks whether to abort it.
import { createInterface } from 'node:readline';
import { SkiffError } from '@skiff/bundle/errors';
import type { AgentClient } from './client';
import { AgentError } from './client';
import { AgentGoneError } from './errors';
import { INTERRUPTED_STATUS } from '../options';
import { progressBar, type Progress } from '../trust/progress';
import type { ChangeStatus, TaskStatus } from '../device/task';

/** Seconds each long poll may wait for the change's next update. */
export const FOLLOW_WAIT_SECONDS = 30;

export interface ChangeView {
  id: number; kind: string; summary: string; status: ChangeStatus; error: string | null; ready: boolean;
  tasks: { id: number; seq: number; kind: string; summary: string; status: TaskStatus; commitPoint: boolean; error: string | null; log: string[];
    progress: { label: string; done: number; total: number } }[];
  outcome?: { result: unknown } | { error: { code: string; message: string } };
}

/** `skiff tasks --json` shows a change without what only the agent knows (readiness, progress, outcome). */
export function plainView(v: ChangeView) {
  const { ready: _ready, outcome: _outcome, tasks, ...rest } = v;
  return { ...rest, tasks: tasks.map(({ progress: _progress, ...t }) => t) };
}

class Display {
  private bar: { task: number; progress: Progress } | undefined;
  private readonly said = new Map<number, string>();

  constructor(private readonly lines: boolean) {}

  async show(v: ChangeView): Promise<void> {
    if (this.lines) {
      for (const t of v.tasks) {
        if (t.status === 'do' || this.said.get(t.id) === t.status) continue;
        this.said.set(t.id, t.status);
        process.stderr.write(`${t.status.padEnd(8)} ${t.summary}${t.error ? `  (${t.error})` : ''}\n`);
      }
      return;
    }
    if (!process.stderr.isTTY) return;
    const running = v.tasks.find((t) => t.status === 'doing' && t.progress.total > 1);
    if (this.bar && this.bar.task !== running?.id) this.end();
    if (!running) return;
    this.bar ??= { task: running.id, progress: await progressBar(running.summary, running.progress.total, running.progress.done) };
    this.bar.progress.update(running.progress.done);
  }

  end(): void { this.bar?.progress.stop(); this.bar = undefined; }
}

/** Asks on the terminal; a terminal-less command takes the answer as yes (as `skiff` in-process does). */
function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return Promise.resolve(true);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => rl.question(question, (a) => { rl.close(); resolve(/^y(es)?$/i.test(a.trim())); }));
}

/** Ctrl-C while following: asks whether to abort the change; a second one quits, the change going on in skiffd. */
/** A Ctrl-C that came before the change was known (its request in flight): asked about once following starts. */
let early = false;
const onEarly = (): void => { early = true; };

/** From a change request on, Ctrl-C is kept for the follow to ask about, not a silent exit while the change runs on. */
export function holdInterrupts(): void { process.on('SIGINT', onEarly); }

/** After a request that started no change: a Ctrl-C kept meanwhile ends the command as Ctrl-C would have. */
export function releaseInterrupts(): void {
  process.off('SIGINT', onEarly);
  if (early) { process.stderr.write('skiff: interrupted\n'); process.exit(INTERRUPTED_STATUS); }
}

function interruptions(api: AgentClient, id: number, summary: string): () => void {
  let asked = false;
  const onInterrupt = (): void => {
    if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h\n');
    if (asked) {
      process.stderr.write(`skiff: interrupted; change ${id} goes on in skiffd (\`skiff watch ${id}\` follows it)\n`);
      process.exit(INTERRUPTED_STATUS);
    }
    asked = true;
    void confirm(`Abort change ${id} (${summary})? [y/N] `).then(async (yes) => {
      if (!yes) { asked = false; return; }
      try {
        await api.call('POST', `/v1/changes/${id}/abort`);
        process.stderr.write(`skiff: interrupted; undoing change ${id} (Ctrl-C again to quit at once)\n`);
      } catch (err) {
        process.stderr.write(`skiff: ${(err as Error).message}\n`); // past its commit point: it finishes
      }
    });
  };
  process.on('SIGINT', onInterrupt);
  process.off('SIGINT', onEarly);
  if (early) { early = false; onInterrupt(); }
  return () => { process.off('SIGINT', onInterrupt); };
}

/** Follows a change until nothing more happens to it; answers its last view. */
export async function watchChange(api: AgentClient, id: number, o: { lines: boolean }): Promise<ChangeView> {
  const display = new Display(o.lines);
  let view = await api.call<ChangeView>('GET', `/v1/changes/${id}`);
  const stop = interruptions(api, id, view.summary);
  try {
    for (;;) {
      await display.show(view);
      if (view.ready) return view;
      try {
        view = await api.call<ChangeView>('GET', `/v1/changes/${id}?wait=${FOLLOW_WAIT_SECONDS}`);
      } catch (err) {
        if (err instanceof AgentGoneError || (err instanceof AgentError && err.code === 'agent-stopping')) {
          throw new AgentGoneError(`skiffd stopped while change ${id} ran; it is recovered when skiffd starts again (\`skiff tasks ${id}\` shows it then)`);
        }
        throw err;
      }
    }
  } finally {
    display.end();
    stop();
  }
}

/** Follows a change an API request started and answers its result (what `skiff --json` prints), or throws its error. */
export async function changeResult<T>(api: AgentClient, id: number): Promise<T> {
  const v = await watchChange(api, id, { lines: false });
  if (!v.outcome) throw new SkiffError('agent-gone', `change ${id} ended (${v.status}) but skiffd restarted meanwhile and lost its result; \`skiff tasks ${id}\` shows it`);
  if ('error' in v.outcome) throw new AgentError(v.outcome.error.code, v.outcome.error.message, 0);
  return v.outcome.result as T;
}

/** What an asynchronous request answered: follows the change it started, or takes the result it gave. */
export async function startedResult<T>(api: AgentClient, answer: { change: number } | { result: T }): Promise<T> {
  if ('change' in answer) return changeResult<T>(api, answer.change);
  releaseInterrupts();
  return answer.result;
}

/** Sends a request that may start a change, then follows it: Ctrl-C is caught from the request on. */
export async function requestChange<T>(api: AgentClient, method: string, path: string, body: unknown): Promise<T> {
  holdInterrupts();
  return startedResult(api, await api.call<{ change: number } | { result: T }>(method, path, body));
}
