// skiffd's per-app queue: changes of one app run one after the other, those of different apps side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppQueue } from '../src/agent/queue';

/** A change that records when it starts and ends, and ends only when released. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const ended = new Promise<void>((r) => { release = r; });
  return { release, run: async () => { log.push(`start ${name}`); await ended; log.push(`end ${name}`); return name; } };
}

test('a second change of the same app waits; another app\'s starts at once', async () => {
  const q = new AppQueue();
  const log: string[] = [];
  const a1 = gate(log, 'a1'); const a2 = gate(log, 'a2'); const b1 = gate(log, 'b1');
  const p1 = q.run('a', a1.run); const p2 = q.run('a', a2.run); const p3 = q.run('b', b1.run);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['start a1', 'start b1']);
  assert.deepEqual(q.busy().sort(), ['a', 'b']);
  a1.release();
  assert.equal(await p1, 'a1');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['start a1', 'start b1', 'end a1', 'start a2']);
  a2.release(); b1.release();
  assert.deepEqual(await Promise.all([p2, p3]), ['a2', 'b1']);
  await q.idle();
  assert.deepEqual(q.busy(), [], 'a queue with nothing running forgets its apps');
});

test('a failed change does not stop the next one of the same app', async () => {
  const q = new AppQueue();
  const failed = q.run('a', async () => { throw new Error('boom'); });
  const next = q.run('a', async () => 'ran');
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 'ran');
});
