import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { DeviceAgent } from './agent';
import { anyObject, route } from './schema';

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

/**
 * The refresh fields of GET /v1/system, null until the auto-refresh module fills them: `last` and `next`
 * (RFC 3339 times), `schedule` (refresh.timer), `holds` ([{app or null for all, until}]).
 */
export interface RefreshSummary { schedule: string | null; last: string | null; next: string | null; holds: unknown[] }

export function systemRoutes(app: FastifyInstance, agent: DeviceAgent, refresh: () => RefreshSummary): void {
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
      refresh: refresh(),
      busy: agent.busyApps(),
    };
  });
}
