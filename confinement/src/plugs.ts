// Permissions: what each plug adds to the sandbox, and which are connected without asking.
import type { MountRow, SeccompArgRule } from '@skiff/native';
import type { Manifest, HookName } from '@skiff/bundle';
import { UnknownPlugError } from './errors';
import { NETLINK_ROUTE_RULE } from './sockets';

export interface PlugPolicy {
  /** Connected at install without the user asking (snapd calls this auto-connection). */
  autoConnect: boolean;
  /** What the plug allows, in one line (shown by `skiff connections`). */
  summary: string;
  /** Share the host's network namespace instead of a private one with only `lo`. */
  hostNetwork?: boolean;
  /** Syscalls added to the base allowlist. */
  syscalls?: string[];
  /** Syscalls allowed with these arguments only, beside the base ones (e.g. a socket family). */
  argRules?: SeccompArgRule[];
  /** May bind inet ports: lifts the bind guard an app sharing the host's network has otherwise. */
  bindsPorts?: boolean;
  /** Read-only paths added to the mount table. */
  mounts?: MountRow[];
}

export const PLUGS: Readonly<Record<string, PlugPolicy>> = Object.freeze({
  network: {
    autoConnect: true,
    summary: "share the host's network (connect out); without it only a private loopback",
    hostNetwork: true,
    argRules: [NETLINK_ROUTE_RULE],
  },
  'network-bind': {
    autoConnect: false,
    summary: 'listen for and accept connections, receive on a bound port (servers, TCP and UDP)',
    // seccomp cannot tell a unix socket's listen from a TCP one's: a unix stream server needs this plug too.
    syscalls: ['listen', 'accept', 'accept4'],
    bindsPorts: true,
  },
  'hardware-observe': {
    autoConnect: false,
    summary: 'read hardware information in /sys (read-only)',
    mounts: [{ kind: 'bind', source: '/sys', target: '/sys', flags: ['ro', 'nosuid', 'nodev', 'noexec'],
      reason: 'hardware-observe: sysfs read-only, to list devices, sensors and firmware details' }],
  },
});

/** The policy of a plug; throws UnknownPlugError for a name confinement does not know. */
export function plugPolicy(plug: string): PlugPolicy {
  const p = Object.prototype.hasOwnProperty.call(PLUGS, plug) ? PLUGS[plug] : undefined;
  if (!p) throw new UnknownPlugError(plug);
  return p;
}

/** True when the device connects this plug at install time without asking (never a plug confinement does not know). */
export function isAutoConnected(plug: string): boolean {
  return Object.prototype.hasOwnProperty.call(PLUGS, plug) && PLUGS[plug]!.autoConnect;
}

/** Plugs an app (or hook) of the bundle asks for: its own list plus the bundle-wide one. */
export function plugsAsked(manifest: Manifest, target: { app: string } | { hook: HookName }): string[] {
  const own = 'app' in target ? manifest.apps[target.app]?.plugs : manifest.hooks?.[target.hook]?.plugs;
  return [...new Set([...(manifest.plugs ?? []), ...(own ?? [])])];
}

/** Plugs in force for a launch: asked by the target and connected on the device, known ones only. */
export function effectivePlugs(asked: string[], grants: string[]): string[] {
  return asked.filter((p) => grants.includes(p) && Object.prototype.hasOwnProperty.call(PLUGS, p)).sort();
}
