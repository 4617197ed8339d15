// servicesModule(): the agent's part that supervises services (skiffd starts it after boot recovery).
import type { FastifyInstance } from 'fastify';
import { openDevice, type Device } from '../device/device';
import type { AgentAccess, AgentContext, AgentLog, AgentModule } from '../agent/module';
import type { SupervisorSettings } from './settings';
import type { ExitStatus } from '@skiff/native';
import { Supervisor, type ServiceInfo } from './supervisor';
import { resolveServices } from './names';
import { anyObject, route } from '../agent/schema';
import { SERVICES_SETTLE_MS } from '../device/config';
import { LOG_MAX_LINES, lastLogLines } from './logs';

export type ServiceAction = 'start' | 'stop' | 'restart';

export class ServicesModule implements AgentModule {
  readonly name = 'services';
  private device: Device | null = null;
  private sup: Supervisor | null = null;
  private opening: Promise<Supervisor> | null = null;

  constructor(private readonly settings: Partial<SupervisorSettings> = {}) {}

  get supervisor(): Supervisor {
    if (!this.sup) throw new Error('the services module is not started');
    return this.sup;
  }

  /**
   * The supervisor, made and adopting the running shims on first use: skiffd's boot recovery may need it
   * (a change undone starts the old services again) before the module starts.
   */
  open(root: string, log: AgentLog): Promise<Supervisor> {
    return this.opening ??= (async () => {
      const device = this.device = openDevice(root);
      // services.settle-ms applies unless this module was given a settle time of its own.
      const settleMs = this.settings.settleMs === undefined ? () => Number(device.state.configGet(SERVICES_SETTLE_MS)) : undefined;
      const sup = this.sup = new Supervisor({ device, log, settings: this.settings, ...(settleMs ? { settleMs } : {}) });
      // One JSON line per start, end and failure (an end collected at adoption too): the agent's log tells the story.
      sup.on('started', (id: string) => log.info({ event: 'service-started', service: id }, 'service started'));
      sup.on('exit', (id: string, exit: ExitStatus) => log.info({ event: 'service-exit', service: id, exit }, 'service ended'));
      sup.on('failed', (id: string) => log.warn({ event: 'service-failed', service: id }, 'service failed: start limit hit'));
      await sup.adopt();
      return this.sup;
    })();
  }

  /** Adopts the shims still running, then starts the enabled services no record says were stopped. */
  async start(ctx: AgentContext): Promise<void> {
    await (await this.open(ctx.root, ctx.log)).startEnabled();
  }

  /** Lets go of the services (they keep running under their shims, for the next agent to adopt). */
  async stop(): Promise<void> {
    this.sup?.close();
    this.device?.close();
    this.sup = null;
    this.device = null;
    this.opening = null;
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
    const namesOf = (q: { names?: string }): string[] => String(q.names ?? '').split(',').filter(Boolean);
    const namesQuery = { type: 'object', properties: { names: { type: 'string' } } } as const;
    const servicesAnswer = { description: '{"services": [...]}: the rows `skiff services --json` prints', ...anyObject };
    app.get<{ Querystring: { names?: string } }>('/services', {
      schema: route('listServices', 'the services of installed apps (names: comma-separated NAME or NAME.APP)', { 200: servicesAnswer }, { querystring: namesQuery }),
    }, async (req) => ({ services: this.list(namesOf(req.query)) }));
    app.post<{ Body: { action: ServiceAction; names: string[]; startup?: 'enable' | 'disable' } }>('/services', {
      schema: route('actOnServices', 'start, stop or restart services (startup: also enable or disable them at boot)', { 200: servicesAnswer },
        { body: { type: 'object', required: ['action', 'names'], additionalProperties: false, properties: {
          action: { enum: ['start', 'stop', 'restart'] }, names: { type: 'array', minItems: 1, items: { type: 'string' } },
          startup: { enum: ['enable', 'disable'] } } } }),
    }, async (req) => {
      access.rootOnly(req);
      const { action, names, startup } = req.body;
      return { services: await this.act(ctx, action, names, startup) };
    });
    app.get<{ Querystring: { names?: string; n?: number } }>('/logs', {
      schema: route('getLogs', "the last lines of services' output, with timestamps", { 200: { description: '{"lines": [...]}', ...anyObject } },
        { querystring: { type: 'object', properties: { names: { type: 'string' }, n: { type: 'integer', minimum: 0, maximum: LOG_MAX_LINES } } } }),
    }, async (req) => {
      access.rootOnly(req);
      const n = req.query.n ?? 10;
      return { lines: namesOf(req.query).flatMap((name) => this.logs(name, n)) };
    });
  }
}

/** The services part of skiffd. */
export function servicesModule(settings: Partial<SupervisorSettings> = {}): ServicesModule {
  return new ServicesModule(settings);
}
