// skiffd hosts modules (auto-refresh, services): started after boot and before the socket listens, their
// routes under /v1 with the agent's access check, withApp handing them the agent's DeviceOps, stopped on stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DeviceLayout } from '@skiff/bundle';
import { startAgent } from '../src/agent/daemon';
import { agentFor } from '../src/agent/client';
import type { AgentContext, AgentModule } from '../src/agent/module';

const skip = process.getuid?.() === 0 ? false : 'needs root: skiffd owns the device state';

test('a module starts before the socket listens, serves under /v1, queues through withApp, and stops', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-agent-mod-'));
  const layout = new DeviceLayout(root);
  const events: string[] = [];
  let ctx: AgentContext | undefined;
  const mod: AgentModule = {
    name: 'probe',
    async start(c) { ctx = c; events.push(`start socket=${existsSync(layout.agentSocket)}`); },
    async stop() { events.push('stop'); },
    routes(app, c, access) {
      app.get('/probe', { schema: { operationId: 'getProbe', response: { 200: { description: 'the probe', type: 'object', additionalProperties: true } } } },
        async () => ({ root: c.root, apps: await c.withApp('x', async (ops) => ops.device.state.apps().length) }));
      app.post('/probe', { schema: { operationId: 'postProbe', response: { 200: { description: 'root only', type: 'object', additionalProperties: true } } } },
        async (request) => { access.rootOnly(request); return { ok: true }; });
    },
  };
  const agent = await startAgent(root, pino({ level: 'silent' }), [mod]);
  try {
    assert.deepEqual(events, ['start socket=false']);
    assert.equal(ctx?.root, root);
    const api = agentFor(root)!;
    assert.deepEqual(await api.call('GET', '/v1/probe'), { root, apps: 0 });
    assert.deepEqual(await api.call('POST', '/v1/probe', {}), { ok: true }, 'root passes rootOnly');
    const doc = await api.call<{ paths: Record<string, unknown> }>('GET', '/v1/openapi.json');
    assert.ok('/v1/probe' in doc.paths, 'module routes are in the OpenAPI document');
  } finally {
    await agent.stop();
    rmSync(root, { recursive: true, force: true });
  }
  assert.deepEqual(events, ['start socket=false', 'stop']);
  assert.ok(!existsSync(layout.agentSocket));
});
