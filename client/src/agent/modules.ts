import type { AgentModule } from './module';

/** The parts skiffd hosts beside its API (auto-refresh, services): started after recovery, stopped on SIGTERM. */
export function agentModules(): AgentModule[] {
  return [];
}
