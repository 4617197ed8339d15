import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { DeviceLayout, SkiffError } from '@skiff/bundle';
import { shouldRestart, restartDelay, recentStarts } from '../src/services/restart';
import { servicesModule } from '../src/services';
import type { AgentContext } from '../src/agent/module';

test('restart conditions: on-failure, always, on-abnormal, never', () => {
  const clean = { code: 0, signal: null };
  const failed = { code: 3, signal: null };
  const killed = { code: null, signal: 'SIGKILL' };
  const table: Array<[Parameters<typeof shouldRestart>[0], boolean[]]> = [
    ['on-failure', [false, true, true]],
    ['always', [true, true, true]],
    ['on-abnormal', [false, false, true]],
    ['never', [false, false, false]],
  ];
  for (const [condition, want] of table) assert.deepEqual([clean, failed, killed].map((e) => shouldRestart(condition, e)), want, condition);
});

test('the restart delay doubles from the first one and stops at the cap; old starts leave the window', () => {
  const s = { maxRestartDelayMs: 60_000, startLimitWindowMs: 600_000 };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelay(1000, n, s)), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  assert.deepEqual(recentStarts([0, 100_000, 650_000], 690_000, s), [100_000, 650_000]);
});

test('servicesModule routes: listing is open, acting and logs call rootOnly first', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-services-routes-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const ctx: AgentContext = {
    root, layout: new DeviceLayout(root), log: { info() {}, warn() {}, error() {} },
    withApp: () => Promise.reject(new Error('no change expected')),
  };
  const mod = servicesModule();
  await mod.start(ctx);
  t.after(() => mod.stop());
  const app = Fastify();
  // Errors in skiffd's shape ({"error": {code, message}}): the routes' described 4xx answers.
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) =>
    reply.code(err.statusCode ?? 500).send({ error: { code: err.code ?? 'usage', message: err.message } }));
  let asked = 0;
  const access = { rootOnly: () => { asked++; throw Object.assign(new SkiffError('forbidden', 'root only'), { statusCode: 403 }); } };
  mod.routes(app, ctx, access);
  assert.deepEqual((await app.inject({ method: 'GET', url: '/services' })).json(), { services: [] });
  const post = await app.inject({ method: 'POST', url: '/services', payload: { action: 'start', names: ['web'] } });
  assert.equal(post.statusCode, 403);
  assert.equal((await app.inject({ method: 'GET', url: '/logs?names=web' })).statusCode, 403);
  assert.equal(asked, 2);
  assert.equal((await app.inject({ method: 'POST', url: '/services', payload: { action: 'explode', names: ['web'] } })).statusCode, 400);
});
