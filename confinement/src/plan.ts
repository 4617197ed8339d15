// buildLaunchPlan: one short list of steps from an app context to the data the launcher executes.
import { isAbsolute } from 'node:path';
import { DeviceLayout, HOOK_NAMES, NAME_PATTERN, appNameProblem, type Manifest } from '@skiff/bundle';
import { ID_MAX, type LaunchPlan, type Namespace } from '@skiff/native';
import type { AppContext, LaunchTarget } from './context';
import { PolicyError, UnknownTargetError } from './errors';
import { deviceLimits } from './limits';
import { appPaths, mountTable, probeHost, type HostLayout } from './mounts';
import { effectivePlugs, plugPolicy, plugsAsked } from './plugs';
import { seccompPlan } from './seccomp';
import { cgroupLimits, HOOK_RUN_PREFIX, launchCgroupPath, probeCgroup2, probeCgroups, type CgroupLayout } from './cgroups';
import { bindGuardPlan, landlockPlan } from './sockets';
import { appEnv } from './env';

/** The manifest's rule for the names of the apps in a bundle. */
const APP_RE = new RegExp(NAME_PATTERN);

/** Host facts a plan depends on; tests pass their own, the device probes this host. */
export interface PlanHost {
  host?: HostLayout;
  cgroups?: CgroupLayout | null;
  /** Mount point of the cgroup2 hierarchy (the bind guard's), or null when the host has none. */
  cgroup2?: string | null;
  /** Makes the cgroup path unique per launch; the launcher may add the child's pid too. */
  unique?: string;
}

let launches = 0;

/** `hello` → the app named like the bundle (or its only app); `hello.report` → app `report`. */
export function resolveTarget(manifest: Manifest, spec: string): { app: string } {
  const dot = spec.indexOf('.');
  const name = dot < 0 ? spec : spec.slice(0, dot);
  if (name !== manifest.name) throw new UnknownTargetError(`'${spec}' is not an app of ${manifest.name}`, spec);
  const apps = Object.keys(manifest.apps);
  const app = dot >= 0 ? spec.slice(dot + 1) : apps.includes(name) ? name : apps.length === 1 ? apps[0]! : '';
  if (!app || !Object.prototype.hasOwnProperty.call(manifest.apps, app)) {
    throw new UnknownTargetError(`${manifest.name} has no app '${app || spec}' (apps: ${apps.join(', ')})`, spec);
  }
  return { app };
}

/** Where the saved plan of an app lives (DeviceLayout.planFile). */
export function planPath(root: string, name: string, app: string): string {
  return new DeviceLayout(root).planFile(name, app);
}

/** The wrappers of an app: <name> for the default app, and <name>.<app> for every app. */
export function wrapperPaths(root: string, manifest: Manifest, app: string): string[] {
  const layout = new DeviceLayout(root);
  const paths = [layout.wrapperFile(`${manifest.name}.${app}`)];
  let isDefault = false;
  try { isDefault = resolveTarget(manifest, manifest.name).app === app; } catch { /* no default app */ }
  return isDefault ? [layout.wrapperFile(manifest.name), ...paths] : paths;
}

function checkContext(ctx: AppContext): void {
  if (!isAbsolute(ctx.root)) throw new PolicyError(`device root must be absolute: ${ctx.root}`, 'root');
  const nameProblem = appNameProblem(ctx.name);
  if (nameProblem) throw new PolicyError(nameProblem.message, 'name');
  if (ctx.manifest.name !== ctx.name) throw new PolicyError(`bad app name '${ctx.name}': the manifest names ${ctx.manifest.name}`, 'name');
  if (!Number.isInteger(ctx.revision) || ctx.revision < 1) throw new PolicyError(`bad revision ${ctx.revision}`, 'revision');
  for (const [field, id] of [['uid', ctx.uid], ['gid', ctx.gid]] as const) {
    // An app never runs as host root, even by mistake in the device state.
    if (id === 0) throw new PolicyError(`refusing to run ${ctx.name} with ${field} 0 (root)`, field);
    if (!Number.isInteger(id) || id < 0 || id > ID_MAX) throw new PolicyError(`bad ${field} ${id}`, field);
  }
}

/** argv[0] inside the sandbox, and the name used for the cgroup and SKIFF_APP. */
function program(manifest: Manifest, target: LaunchTarget): { path: string; runName: string } {
  if ('hook' in target) {
    if (!(HOOK_NAMES as readonly string[]).includes(target.hook)) throw new UnknownTargetError(`unknown hook '${target.hook}'`, target.hook);
    return { path: `/app/meta/hooks/${target.hook}`, runName: `${HOOK_RUN_PREFIX}${target.hook}` };
  }
  if (!APP_RE.test(target.app) || !Object.prototype.hasOwnProperty.call(manifest.apps, target.app)) {
    throw new UnknownTargetError(`${manifest.name} has no app '${target.app}'`, target.app);
  }
  const command = manifest.apps[target.app]!.command;
  // The bundle format refuses these already; the plan must not trust that alone.
  if (isAbsolute(command) || command.split('/').includes('..')) throw new PolicyError(`command must stay inside the bundle: ${command}`, 'command');
  return { path: `/app/${command.replace(/^\.\//, '')}`, runName: target.app };
}

/** Where the bind guard attaches: on v2 the launch's own cgroup (a second folder would take the process out of it). */
function guardRoot(layout: CgroupLayout, host: PlanHost): string | null {
  if (layout.version === 2) return layout.root;
  return host.cgroup2 !== undefined ? host.cgroup2 : probeCgroup2();
}

export function buildLaunchPlan(ctx: AppContext, target: LaunchTarget, args: string[] = [], host: PlanHost = {}): LaunchPlan {
  // 1. Refuse what must never run: root, names that would escape their folders, unknown targets.
  checkContext(ctx);
  const { path, runName } = program(ctx.manifest, target);
  const limits = deviceLimits(ctx.limits);
  // 2. Permissions in force: asked by this app or hook and connected on the device.
  const plugs = effectivePlugs(plugsAsked(ctx.manifest, target), ctx.grants).map((p) => ({ name: p, ...plugPolicy(p) }));
  // 3. Namespaces: all of them, net too unless a plug shares the host's network.
  const namespaces: Namespace[] = ['mount', 'pid', 'ipc', 'uts', 'cgroup'];
  const hostNetwork = plugs.some((p) => p.hostNetwork);
  if (!hostNetwork) namespaces.push('net');
  // Binding a port matters only where the host can reach it: a private namespace has only its own lo.
  const guardBinds = hostNetwork && !plugs.some((p) => p.bindsPorts);
  // 4. Limits in a fresh cgroup of its own.
  const layout = host.cgroups !== undefined ? host.cgroups : probeCgroups();
  const unique = host.unique ?? `${process.pid}-${++launches}`;
  return {
    argv: [path, ...args],
    env: appEnv(ctx, runName),
    cwd: '/data',
    hostname: ctx.name,
    namespaces,
    mounts: mountTable(appPaths(ctx), host.host ?? probeHost, limits.tmpBytes, plugs.flatMap((p) => p.mounts ?? [])),
    uid: ctx.uid,
    gid: ctx.gid,
    cgroup: layout && {
      version: layout.version,
      root: layout.root,
      path: launchCgroupPath(ctx.name, runName, unique),
      ...cgroupLimits(ctx.manifest.resources, limits),
    },
    // 5. Syscalls: the base allowlist plus what the plugs add; devmode logs instead.
    seccomp: seccompPlan(plugs.flatMap((p) => p.syscalls ?? []), ctx.devmode, plugs.flatMap((p) => p.argRules ?? [])),
    // 6. Landlock (abstract sockets and signals scoped, TCP binds) and the UDP+TCP bind guard.
    landlock: landlockPlan(guardBinds),
    bindGuard: layout ? bindGuardPlan(guardBinds, guardRoot(layout, host)) : null,
  };
}
