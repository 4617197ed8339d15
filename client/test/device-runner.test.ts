import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DeviceState } from '../src/device/state';
import { ChangeRunner, TaskKinds } from '../src/device/changes';
import type { TaskSpec } from '../src/device/task';

/** A backend that records every do and undo in a file, and fails the do of one chosen task. */
interface Recorder { log: string; failAt: string | null }

function recorderKinds(): TaskKinds<Recorder> {
  const kinds = new TaskKinds<Recorder>();
  for (const k of ['fetch', 'mount', 'switch', 'hook', 'prune']) {
    kinds.register(k, {
      async do(env, task) {
        const label = (task.params as { label: string }).label;
        appendFileSync(env.log, `do:${label}\n`);
        if (env.failAt === label) throw new Error(`${label} failed`);
      },
      async undo(env, task) { appendFileSync(env.log, `undo:${(task.params as { label: string }).label}\n`); },
      ...(k === 'switch' ? { committed: (env: Recorder) => readFileSync(env.log, 'utf8').includes('do:switch') } : {}),
    });
  }
  return kinds;
}

const SPECS: TaskSpec[] = ['fetch', 'mount', 'switch', 'hook', 'prune'].map((k) => ({ kind: k, summary: k, params: { label: k }, commitPoint: k === 'switch' }));

function fixture(failAt: string | null = null) {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-runner-'));
  const state = new DeviceState(join(dir, 'state.db'));
  const env: Recorder = { log: join(dir, 'ops.log'), failAt };
  appendFileSync(env.log, '');
  const runner = new ChangeRunner(state, recorderKinds(), env);
  const ops = (): string[] => readFileSync(env.log, 'utf8').split('\n').filter(Boolean);
  const statuses = (id: number): string[] => runner.tasks(id).map((t) => t.status);
  const done = (): void => { state.close(); rmSync(dir, { recursive: true, force: true }); };
  return { dir, state, env, runner, ops, statuses, done };
}

test('runner: every task done in order', async () => {
  const f = fixture();
  try {
    const id = f.runner.create('install', 'Install x', SPECS);
    const c = await f.runner.run(id);
    assert.equal(c.status, 'done');
    assert.deepEqual(f.ops(), ['do:fetch', 'do:mount', 'do:switch', 'do:hook', 'do:prune']);
    assert.deepEqual(f.statuses(id), ['done', 'done', 'done', 'done', 'done']);
  } finally { f.done(); }
});

for (const failAt of ['fetch', 'mount', 'switch', 'hook', 'prune']) {
  test(`runner: a failure at ${failAt} undoes what was done, in reverse, the failed task included`, async () => {
    const f = fixture(failAt);
    try {
      const id = f.runner.create('refresh', 'Refresh x', SPECS);
      const c = await f.runner.run(id);
      assert.equal(c.status, 'undone');
      assert.equal(c.error, `${failAt} failed`);
      const names = ['fetch', 'mount', 'switch', 'hook', 'prune'];
      const upTo = names.slice(0, names.indexOf(failAt) + 1);
      assert.deepEqual(f.ops(), [...upTo.map((n) => `do:${n}`), ...[...upTo].reverse().map((n) => `undo:${n}`)]);
      assert.deepEqual(f.statuses(id), names.map((n) => n === failAt ? 'failed' : upTo.includes(n) ? 'undone' : 'hold'));
    } finally { f.done(); }
  });
}

test('runner: an abort before the commit point undoes; after it, abort is refused', async () => {
  const f = fixture();
  try {
    const id = f.runner.create('install', 'Install x', SPECS);
    f.runner.requestAbort(id);
    assert.equal((await f.runner.run(id)).status, 'undone');
    assert.deepEqual(f.ops(), []);
    const id2 = f.runner.create('install', 'Install x', SPECS);
    await f.runner.run(id2);
    assert.throws(() => f.runner.requestAbort(id2), { code: 'cannot-abort' });
  } finally { f.done(); }
});

/** Kinds whose do waits up to 1 s for its abort signal; onStart runs as each task begins. */
function waitingKinds(log: string[], onStart: (label: string) => void): TaskKinds<null> {
  const kinds = new TaskKinds<null>();
  for (const k of ['fetch', 'mount', 'switch', 'hook', 'prune']) {
    kinds.register(k, {
      async do(_env, task) {
        const label = (task.params as { label: string }).label;
        onStart(label);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => { log.push(`ran:${label}`); resolve(); }, 1000);
          task.signal.addEventListener('abort', () => { clearTimeout(timer); log.push(`aborted:${label}`); resolve(); }, { once: true });
        });
        if (task.signal.aborted) throw new Error(`${label} stopped`);
      },
      async undo() { /* nothing to undo */ },
      ...(k === 'switch' ? { committed: () => log.includes('ran:switch') } : {}),
    });
  }
  return kinds;
}

test('runner: an abort from another process stops the running task before the commit point, never after it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-runner-'));
  const state = new DeviceState(join(dir, 'state.db'));
  try {
    // What `skiff abort` in another process writes, set here as a given task starts.
    const flagAt = (at: string) => (label: string) => {
      if (label === at) state.db.prepare('UPDATE changes SET abort_requested = 1').run();
    };
    const before: string[] = [];
    const r1 = new ChangeRunner(state, waitingKinds(before, flagAt('mount')), null);
    const c1 = await r1.run(r1.create('install', 'Install x', SPECS));
    assert.equal(c1.status, 'undone');
    assert.equal(c1.error, 'aborted');
    assert.deepEqual(before, ['ran:fetch', 'aborted:mount']);

    // Set past the commit point (as if it raced with the switch): the change finishes, its hook runs out.
    const after: string[] = [];
    const r2 = new ChangeRunner(state, waitingKinds(after, flagAt('hook')), null);
    const c2 = await r2.run(r2.create('install', 'Install x', SPECS));
    assert.equal(c2.status, 'done');
    assert.deepEqual(after, ['ran:fetch', 'ran:mount', 'ran:switch', 'ran:hook', 'ran:prune']);
  } finally {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const CHILD = (dir: string, crashAt: string): string => `
  const { appendFileSync, readFileSync } = require('node:fs');
  const { DeviceState } = require(${JSON.stringify(join(__dirname, '..', 'src', 'device', 'state'))});
  const { ChangeRunner, TaskKinds } = require(${JSON.stringify(join(__dirname, '..', 'src', 'device', 'changes'))});
  const env = { log: ${JSON.stringify(join(dir, 'ops.log'))}, failAt: ${JSON.stringify(crashAt.startsWith('switch:undo') ? 'hook' : null)} };
  const kinds = new TaskKinds();
  for (const k of ['fetch', 'mount', 'switch', 'hook', 'prune']) kinds.register(k, {
    async do(e, t) { appendFileSync(e.log, 'do:' + t.params.label + '\\n'); if (e.failAt === t.params.label) throw new Error('x'); },
    async undo(e, t) { appendFileSync(e.log, 'undo:' + t.params.label + '\\n'); },
  });
  const state = new DeviceState(${JSON.stringify(join(dir, 'state.db'))});
  const runner = new ChangeRunner(state, kinds, env, { crashAt: ${JSON.stringify(crashAt)} });
  const id = runner.create('refresh', 'Refresh x', ${JSON.stringify(SPECS)});
  runner.run(id);`;

// Crash (SIGKILL) at each boundary, then recover in a new process: before the commit point the
// change is undone, after it the change is finished; the interrupted task is rerun either way.
const CASES: [string, string[], 'done' | 'undone'][] = [
  ['fetch:do:before', ['undo:fetch'], 'undone'],
  ['mount:do:after', ['do:fetch', 'do:mount', 'undo:mount', 'undo:fetch'], 'undone'],
  ['switch:do:before', ['do:fetch', 'do:mount', 'undo:switch', 'undo:mount', 'undo:fetch'], 'undone'],
  ['switch:do:after', ['do:fetch', 'do:mount', 'do:switch', 'do:switch', 'do:hook', 'do:prune'], 'done'],
  ['#4:do:before', ['do:fetch', 'do:mount', 'do:switch', 'do:hook', 'do:prune'], 'done'],
  ['switch:undo:after', ['do:fetch', 'do:mount', 'do:switch', 'do:hook', 'undo:hook', 'undo:switch', 'undo:switch', 'undo:mount', 'undo:fetch'], 'undone'],
];

for (const [crashAt, expected, status] of CASES) {
  test(`runner: SIGKILL at ${crashAt}, then recovery ${status === 'done' ? 'finishes' : 'undoes'} the change`, async () => {
    const f = fixture();
    try {
      const r = spawnSync(process.execPath, ['-e', CHILD(f.dir, crashAt)], { encoding: 'utf8' });
      assert.equal(r.signal, 'SIGKILL', r.stderr);
      // The recovering process's switch knows the commit point from the log, like the real one reads the link.
      const [c] = await f.runner.recover();
      assert.equal(c?.status, status);
      assert.deepEqual(f.ops(), expected);
      assert.equal(f.state.integrityCheck(), 'ok');
      assert.equal(f.runner.unfinished().length, 0);
    } finally { f.done(); }
  });
}

test('runner: creating a change with an unknown task kind stores nothing', () => {
  const f = fixture();
  try {
    assert.throws(() => f.runner.create('x', 'x', [{ kind: 'nope', summary: '', params: {} }]));
    assert.equal(f.runner.changes().length, 0);
    assert.ok(existsSync(f.env.log));
  } finally { f.done(); }
});

test('runner: a failing undo leaves the change undoing; recovery retries it, then gives up after UNDO_ATTEMPTS', async () => {
  const f = fixture('hook');
  let undoFailures = 0;
  const kinds = recorderKinds();
  kinds.register('mount', {
    async do(env) { appendFileSync(env.log, 'do:mount\n'); },
    async undo(env) { appendFileSync(env.log, 'undo:mount\n'); if (undoFailures-- > 0) throw new Error('target is busy'); },
  });
  const runner = new ChangeRunner(f.state, kinds, f.env);
  try {
    undoFailures = 1;
    const id = runner.create('refresh', 'Refresh x', SPECS);
    await assert.rejects(runner.run(id), { code: 'undo-pending' });
    assert.equal(runner.change(id).status, 'undoing');
    const [c] = await runner.recover();
    assert.equal(c?.status, 'undone');
    assert.deepEqual(f.ops(), ['do:fetch', 'do:mount', 'do:switch', 'do:hook', 'undo:hook', 'undo:switch', 'undo:mount', 'undo:mount', 'undo:fetch']);

    undoFailures = 99;
    const id2 = runner.create('refresh', 'Refresh x', SPECS);
    await assert.rejects(runner.run(id2), { code: 'undo-pending' });
    await assert.rejects(runner.recover(), { code: 'undo-pending' });
    const [c2] = await runner.recover();
    assert.equal(c2?.status, 'error');
    assert.deepEqual(runner.tasks(id2).map((t) => t.status), ['undone', 'undo-error', 'undone', 'failed', 'hold']);
  } finally { f.done(); }
});
