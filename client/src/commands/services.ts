// `skiff services`, `start`, `stop`, `restart` and `logs` (snap's names), in-process for now: a passive
// supervisor adopts the running shims, acts, and lets go (restarting is the agent's, skiffd).
import type { Command } from 'commander';
import { NotRootError, SkiffError } from '@skiff/bundle';
import { openDevice } from '../device';
import { DeviceOps } from '../device/ops';
import { SERVICES_SETTLE_MS } from '../device/config';
import { rootOf, output } from '../options';
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
      const device = openDevice(rootOf(cmd));
      try {
        const sup = new Supervisor({ device, log: quietLog, passive: true });
        await sup.adopt();
        const rows = listed(sup, device, names);
        sup.close();
        output(!!o.json, rows, () => table(rows));
      } finally { device.close(); }
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
        const rows = await withSupervisor(cmd, async (sup, ops) => {
          const targets = names.flatMap((n) => resolveServices(ops.device, n));
          for (const t of targets) {
            if (o.enable || o.disable) sup.setEnabled(t.name, t.app, !!o.enable);
            if (verb === 'start') await sup.start(t.name, t.app);
            else if (verb === 'stop') await sup.stop(t.name, t.app);
            else await sup.restart(t.name, t.app);
          }
          return listed(sup, ops.device, names);
        });
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
      const device = openDevice(rootOf(cmd));
      const dirs = resolveServices(device, name).map((s) => device.paths.serviceLogDir(s.name, s.app));
      device.close();
      for (const dir of dirs) for (const line of lastLogLines(dir, n)) process.stdout.write(line + '\n');
      if (!o.follow) return;
      const stops = dirs.map((dir) => followLog(dir, (line) => process.stdout.write(line + '\n')));
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      for (const stop of stops) stop();
    });
}
