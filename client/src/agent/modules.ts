import type { AgentModule } from './module';
import { autoRefreshModule, type AutoRefreshModule } from '../device/autorefresh/module';
import { ServicesModule, servicesModule } from '../services/module';

/** The parts skiffd hosts beside its API (auto-refresh, services): started after recovery, stopped on SIGTERM. */
export function agentModules(): AgentModule[] {
  return [autoRefreshModule(), servicesModule()];
}

/** The auto-refresh module among `modules`, if hosted (the API's hold and config routes replan it). */
export function autoRefreshIn(modules: AgentModule[]): AutoRefreshModule | undefined {
  return modules.find((m): m is AutoRefreshModule => m.name === 'auto-refresh' && 'replan' in m);
}

/** The services module among `modules`, if hosted (the agent's changes start and stop services through its supervisor). */
export function servicesIn(modules: AgentModule[]): ServicesModule | undefined {
  return modules.find((m): m is ServicesModule => m instanceof ServicesModule);
}
