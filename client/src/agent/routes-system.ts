import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { DeviceAgent } from './agent';
import { anyObject, route } from './schema';
import { refreshTimes } from '../device/autorefresh/times';

const VERSION: string = require('../../../package.json').version;
const TOP_ROLES = ['root', 'timestamp', 'snapshot', 'targets'] as const;

/** The version of each top-level TUF role this device trusts now (null: not fetched yet). */
function trustedVersions(trustDir: string): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const role of TOP_ROLES) {
    try { out[role] = (JSON.parse(readFileSync(join(trustDir, `${role}.json`), 'utf8')) as { signed: { version: number } }).signed.version; } catch { out[role] = null; }
  }
  return out;
}

export function systemRoutes(app: FastifyInstance, agent: DeviceAgent): void {
  app.get('/v1/system', {
    schema: route('getSystem', 'the device: version, architecture, store, trusted metadata, refresh schedule and holds', {
      200: { description: 'system information', ...anyObject },
    }),
  }, async () => {
    const { state, paths } = agent.device;
    return {
      version: VERSION, architecture: machine(), root: agent.device.root, pid: process.pid,
      store: state.configGet('store.url') ?? null,
      trust: trustedVersions(paths.trustDir),
      // What `skiff refresh --time` shows: {timer, last, lastRefresh, next, holds}.
      refresh: refreshTimes(agent.device),
      busy: agent.busyApps(),
    };
  });
}
