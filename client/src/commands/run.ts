import { constants } from 'node:os';
import type { Command } from 'commander';
import { NotRootError, SkiffError } from '@skiff/bundle';
import { buildLaunchPlan, resolveTarget } from '@skiff/confinement';
import { isMounted, runPlan, type ExitStatus } from '@skiff/native';
import { openDevice, type Device } from '../device';
import { rootOf, output } from '../options';
import { formatTable } from '../format';
import { checkAppName } from '../trust/targets';
import { parseConnection, type Grant } from '../device/grants';
import { either } from './device';

/** Signals passed on to the app; the app does setsid, so the terminal no longer reaches it. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

function withDevice<T>(cmd: Command, fn: (device: Device) => T): T {
  const device = openDevice(rootOf(cmd));
  try { return fn(device); } finally { device.close(); }
}

/** The shell convention: the exit code, or 128 + the number of the signal that killed it. */
function exitCodeOf(status: ExitStatus): number {
  if (status.code !== null) return status.code;
  const n = status.signal ? constants.signals[status.signal as NodeJS.Signals] : undefined;
  return 128 + (n ?? 1);
}

async function runApp(cmd: Command, spec: string, args: string[], opts: { plan?: boolean }): Promise<void> {
  const name = spec.split('.')[0]!;
  checkAppName(name);
  const { ctx, bundleMounted } = withDevice(cmd, (d) => {
    const c = d.appContext(name);
    return { ctx: c, bundleMounted: isMounted(d.paths.mountDir(c.name, c.revision)) };
  });
  const plan = buildLaunchPlan(ctx, resolveTarget(ctx.manifest, spec), args);
  if (opts.plan) return output(true, plan, () => '');
  if (process.getuid?.() !== 0) throw new NotRootError('skiff run', 'confinement sets up namespaces, mounts and cgroups, root-only for now');
  if (!bundleMounted) throw new SkiffError('not-mounted', `${name} revision ${ctx.revision} is not mounted; run \`skiff boot\` to mount installed bundles`);
  process.exitCode = exitCodeOf(await runPlan(plan, { stdio: [0, 1, 2], forwardSignals: FORWARDED }));
}

/** Registers `run`, `connect`, `disconnect` and `connections`. */
export function registerRunCommands(program: Command): void {
  program.command('run')
    .description('run an installed app confined: NAME runs its main app, NAME.APP another one')
    .argument('<app>', 'NAME or NAME.APP')
    .argument('[args...]', 'arguments for the app (put them after --)')
    .option('--plan', 'print the launch plan as JSON (mounts with their reasons, limits, syscalls) instead of running')
    .action((spec: string, args: string[], opts: { plan?: boolean }, cmd: Command) => runApp(cmd, spec, args, opts));

  for (const [verb, granted] of [['connect', true], ['disconnect', false]] as const) {
    program.command(verb)
      .description(granted ? 'grant an app a permission it asks for (APP:PLUG)' : 'take a permission back from an app (APP:PLUG)')
      .argument('<connection>', 'APP:PLUG, e.g. hello:network-bind')
      .option('--json', 'print the result as JSON')
      .action(async (spec: string, opts: { json?: boolean }, cmd: Command) => {
        const { name, plug } = parseConnection(spec);
        await either(cmd, (api) => api.call('POST', '/v1/connections', { connection: spec, connect: granted }),
          async () => withDevice(cmd, (d) => d.setGrant(name, plug, granted)));
        output(!!opts.json, { app: name, plug, granted }, () => `${granted ? 'connected' : 'disconnected'} ${name}:${plug}`);
      });
  }

  program.command('connections')
    .description('list the plugs installed apps ask for and whether each is connected')
    .argument('[app]', 'only this app')
    .option('--json', 'print an array of {app, plug, granted, auto}')
    .action(async (app: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const grants = await either(cmd, (api) => api.call<Grant[]>('GET', `/v1/connections${app ? `?app=${encodeURIComponent(app)}` : ''}`),
        async () => withDevice(cmd, (d) => d.listGrants(app)));
      output(!!opts.json, grants, () => {
        if (grants.length === 0) return app ? `${app} asks for no plugs` : 'no installed app asks for plugs';
        return formatTable(['App', 'Plug', 'Connected', 'Notes'], grants.map((g) => [g.app, g.plug, g.granted ? 'yes' : 'no', g.auto ? 'auto' : '-']));
      });
    });
}
