// `skiff services`, `start`, `stop`, `restart` and `logs` (snap's names): through skiffd when it answers
// (its supervisor acts), else in-process: a passive supervisor adopts the running shims, acts, and lets go.
import type { Command } from 'commander';
import { NotRootError, SkiffError } from '@skiff/bundle';
import { openDevice } from '../device';
import { DeviceOps } from '../device/ops';
import { SERVICES_SETTLE_MS } from '../device/config';
import { rootOf, output } from '../options';
import { either } from './device';
import { formatTable } from '../format';
import { Supervisor, resolveServices, lastLogLines, followLog, LOG_MAX_LINES, type ServiceInfo } from '../services';

const quietLog = { info() {}, warn() {}, error() {} };

async function withSupervisor<T>(cmd: Command, fn: (s: Supervisor, ops: DeviceOps) => Promise<T>): Promise<T> {
  const device = openDevice(rootOf(cmd));
  try {
    const settleMs = Number(device.state.configGet(SERVICES_SETTLE_MS));
    const sup = new Supervisor({ device, log: quietLog, passive: true, settings: { settleMs } });
    const ops = new DeviceOps(device);
    // Under the device lock: never beside a change of the same services.
    return await ops.locked(async () => {
      await sup.adopt();
      try { return await fn(sup, ops); } finally { sup.close(); }
    });
  } finally {
    device.close();
  }
}

function table(rows: ServiceInfo[]): string {
  if (rows.length === 0) return 'No services.';
  return formatTable(['Service', 'Startup', 'Current', 'Notes'], rows.map((r) => [r.service, r.startup, r.current, r.notes || '-']));
}

function listed(sup: Supervisor, device: ReturnType<typeof openDevice>, names: string[]): ServiceInfo[] {
  if (names.length === 0) return sup.list();
  const wanted = names.flatMap((n) => resolveServices(device, n));
  const ids = new Set(wanted.map((s) => `${s.name}.${s.app}`));
  return [...new Set(wanted.map((s) => s.name))].flatMap((n) => sup.list(n)).filter((r) => ids.has(r.service));
}

/** The log folders of NAME[.APP]'s services. */
function dirsOf(cmd: Command, name: string): string[] {
  const device = openDevice(rootOf(cmd));
  try { return resolveServices(device, name).map((s) => device.paths.serviceLogDir(s.name, s.app)); } finally { device.close(); }
}

function requireRoot(verb: string): void {
  if (process.getuid?.() !== 0) throw new NotRootError(`skiff ${verb}`);
}

/** Registers `services`, `start`, `stop`, `restart` and `logs`. */
export function registerServiceCommands(program: Command): void {
  program.command('services')
    .description('the services of installed apps: startup (enabled/disabled), current state (active/inactive/failed), notes')
    .argument('[names...]', 'NAME or NAME.APP')
    .option('--json', 'print the result as JSON')
    .action(async (names: string[], o: { json?: boolean }, cmd: Command) => {
      const rows = await either(cmd, async (api) => (await api.call<{ services: ServiceInfo[] }>('GET', `/v1/services${names.length ? `?names=${encodeURIComponent(names.join(','))}` : ''}`)).services,
        async () => {
          const device = openDevice(rootOf(cmd));
          try {
            const sup = new Supervisor({ device, log: quietLog, passive: true });
            await sup.adopt();
            try { return listed(sup, device, names); } finally { sup.close(); }
          } finally { device.close(); }
        });
      output(!!o.json, rows, () => table(rows));
    });

  for (const verb of ['start', 'stop', 'restart'] as const) {
    program.command(verb)
      .description(`${verb} services (NAME: every service of the app)${verb === 'restart' ? '' : `; --${verb === 'start' ? 'enable' : 'disable'} also at boot`}`)
      .argument('<names...>', 'NAME or NAME.APP')
      .option('--enable', 'start it at boot from now on')
      .option('--disable', 'do not start it at boot from now on')
      .option('--json', 'print the result as JSON')
      .action(async (names: string[], o: { enable?: boolean; disable?: boolean; json?: boolean }, cmd: Command) => {
        requireRoot(verb);
        if (o.enable && o.disable) throw new SkiffError('usage', 'choose one of --enable and --disable');
        const startup = o.enable ? 'enable' as const : o.disable ? 'disable' as const : undefined;
        const rows = await either(cmd,
          async (api) => (await api.call<{ services: ServiceInfo[] }>('POST', '/v1/services', { action: verb, names, ...(startup ? { startup } : {}) })).services,
          () => withSupervisor(cmd, async (sup, ops) => {
            const targets = names.flatMap((n) => resolveServices(ops.device, n));
            for (const t of targets) {
              if (startup) sup.setEnabled(t.name, t.app, startup === 'enable');
              if (verb === 'start') await sup.start(t.name, t.app);
              else if (verb === 'stop') await sup.stop(t.name, t.app);
              else await sup.restart(t.name, t.app);
            }
            return listed(sup, ops.device, names);
          }));
        output(!!o.json, rows, () => table(rows));
      });
  }

  program.command('logs')
    .description("a service's output, with timestamps (root)")
    .argument('<name>', 'NAME or NAME.APP')
    .option('-n, --lines <n>', `how many of the last lines (at most ${LOG_MAX_LINES})`, '10')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .action(async (name: string, o: { lines: string; follow?: boolean }, cmd: Command) => {
      requireRoot('logs');
      const n = Number(o.lines);
      if (!Number.isInteger(n) || n < 0 || n > LOG_MAX_LINES) throw new SkiffError('usage', `-n must be an integer from 0 to ${LOG_MAX_LINES}, not '${o.lines}'`);
      const lines = await either(cmd, async (api) => (await api.call<{ lines: string[] }>('GET', `/v1/logs?names=${encodeURIComponent(name)}&n=${n}`)).lines,
        async () => dirsOf(cmd, name).flatMap((dir) => lastLogLines(dir, n)));
      for (const line of lines) process.stdout.write(line + '\n');
      if (!o.follow) return;
      // Following reads the log files (root's, on this machine) whichever way the last lines came.
      const stops = dirsOf(cmd, name).map((dir) => followLog(dir, (line) => process.stdout.write(line + '\n')));
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      for (const stop of stops) stop();
    });
}
