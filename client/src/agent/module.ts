import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeviceOps } from '../device/ops';
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
  /**
   * Runs fn as the agent's one change of app `name` at a time: queued behind a running change of the
   * same app, beside changes of other apps. The DeviceOps given is the agent's own.
   */
  withApp<T>(name: string, fn: (ops: DeviceOps) => Promise<T>): Promise<T>;
}

/** Who may call a route: routes that change the device call rootOnly(request) first (403 otherwise). */
export interface AgentAccess {
  rootOnly(request: FastifyRequest): void;
}

/**
 * A part of skiffd with a life of its own beside the API: started after boot recovery and before the
 * socket listens, stopped on SIGTERM before the agent exits. Its routes are added under /v1.
 */
export interface AgentModule {
  readonly name: string;
  start(ctx: AgentContext): Promise<void>;
  stop(): Promise<void>;
  routes?(app: FastifyInstance, ctx: AgentContext, access: AgentAccess): void;
}
