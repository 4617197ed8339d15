import type { FastifyInstance } from 'fastify';
import type { DeviceLayout } from '@skiff/bundle';

/** The agent's JSON log (pino's call shape): one object and an optional message per line. */
export interface AgentLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the agent gives each of its modules (auto-refresh, services): the device it serves and its log. */
export interface AgentContext {
  root: string;
  layout: DeviceLayout;
  log: AgentLog;
}

/**
 * A part of skiffd with a life of its own beside the API: started after boot recovery and before the
 * socket listens, stopped on SIGTERM before the agent exits. Its routes are added under /v1.
 */
export interface AgentModule {
  readonly name: string;
  start(ctx: AgentContext): Promise<void>;
  stop(): Promise<void>;
  routes?(app: FastifyInstance, ctx: AgentContext): void;
}
