// servicesModule(): the agent's part that supervises services (skiffd starts it after boot recovery).
import type { FastifyInstance } from 'fastify';
import { openDevice, type Device } from '../device/device';
import type { AgentAccess, AgentContext, AgentModule } from '../agent/module';
import type { SupervisorSettings } from './settings';
import { Supervisor, type ServiceInfo } from './supervisor';
import { resolveServices } from './names';
import { LOG_MAX_LINES, lastLogLines } from './logs';

export type ServiceAction = 'start' | 'stop' | 'restart';

export class ServicesModule implements AgentModule {
  readonly name = 'services';
  private device: Device | null = null;
  private sup: Supervisor | null = null;

  constructor(private readonly settings: Partial<SupervisorSettings> = {}) {}

  get supervisor(): Supervisor {
    if (!this.sup) throw new Error('the services module is not started');
    return this.sup;
  }

  /** Adopts the shims still running, then starts the enabled services no record says were stopped. */
  async start(ctx: AgentContext): Promise<void> {
    this.device = openDevice(ctx.root);
    this.sup = new Supervisor({ device: this.device, log: ctx.log, settings: this.settings });
    await this.sup.adopt();
    await this.sup.startEnabled();
  }

  /** Lets go of the services (they keep running under their shims, for the next agent to adopt). */
  async stop(): Promise<void> {
    this.sup?.close();
    this.device?.close();
    this.sup = null;
    this.device = null;
  }

  list(names: string[] = []): ServiceInfo[] {
    if (names.length === 0) return this.supervisor.list();
    const wanted = names.flatMap((n) => resolveServices(this.device!, n));
    const ids = new Set(wanted.map((s) => `${s.name}.${s.app}`));
    return [...new Set(wanted.map((s) => s.name))].flatMap((app) => this.supervisor.list(app)).filter((i) => ids.has(i.service));
  }

  /** start|stop|restart [--enable|--disable] for each NAME[.APP], each under its app's change slot. */
  async act(ctx: AgentContext, action: ServiceAction, names: string[], startup?: 'enable' | 'disable'): Promise<ServiceInfo[]> {
    const targets = names.flatMap((n) => resolveServices(this.device!, n));
    for (const t of targets) {
      await ctx.withApp(t.name, async () => {
        if (startup) this.supervisor.setEnabled(t.name, t.app, startup === 'enable');
        if (action === 'start') await this.supervisor.start(t.name, t.app);
        else if (action === 'stop') await this.supervisor.stop(t.name, t.app);
        else await this.supervisor.restart(t.name, t.app);
      });
    }
    return this.list(names);
  }

  logs(name: string, lines: number): string[] {
    return resolveServices(this.device!, name).flatMap((s) => lastLogLines(this.device!.paths.serviceLogDir(s.name, s.app), lines));
  }

  routes(app: FastifyInstance, ctx: AgentContext, access: AgentAccess): void {
    const namesOf = (q: unknown): string[] => String((q as { names?: string }).names ?? '').split(',').filter(Boolean);
    app.get('/services', async (req) => ({ services: this.list(namesOf(req.query)) }));
    app.post('/services', {
      schema: { body: { type: 'object', required: ['action', 'names'], additionalProperties: false, properties: {
        action: { enum: ['start', 'stop', 'restart'] }, names: { type: 'array', minItems: 1, items: { type: 'string' } },
        startup: { enum: ['enable', 'disable'] } } } },
    }, async (req) => {
      access.rootOnly(req);
      const body = req.body as { action: ServiceAction; names: string[]; startup?: 'enable' | 'disable' };
      return { services: await this.act(ctx, body.action, body.names, body.startup) };
    });
    app.get('/logs', async (req) => {
      access.rootOnly(req);
      const q = req.query as { names?: string; n?: string };
      const n = Math.min(Number(q.n ?? 10) || 10, LOG_MAX_LINES);
      return { lines: namesOf(q).flatMap((name) => this.logs(name, n)) };
    });
  }
}

/** The services part of skiffd. */
export function servicesModule(settings: Partial<SupervisorSettings> = {}): ServicesModule {
  return new ServicesModule(settings);
}
