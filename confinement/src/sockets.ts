// Sockets: which address families an app may create, and where binding a port is guarded.
import type { BindGuardPlan, LandlockPlan, SeccompArgRule } from '@skiff/native';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const NETLINK_ROUTE = 0;

/**
 * socket(2) for every app: unix, IPv4, IPv6 (arg 0 is the family). Everything else is refused,
 * AF_VSOCK first of all (a network namespace does not isolate it: it reaches the hypervisor),
 * AF_PACKET, AF_NETLINK but where a plug grants it, AF_ALG, AF_BLUETOOTH, ...
 * socketpair(2) only makes unix sockets.
 */
export const BASE_SOCKET_RULES: readonly SeccompArgRule[] = [
  ...[AF_UNIX, AF_INET, AF_INET6].map((family) => ({ syscall: 'socket', args: [{ index: 0, value: family }] })),
  { syscall: 'socketpair', args: [{ index: 0, value: AF_UNIX }] },
];

/**
 * NETLINK_ROUTE only (arg 2 is the protocol): what glibc's getifaddrs (and getaddrinfo's
 * AI_ADDRCONFIG check, which falls back without it) read the interfaces and addresses with.
 */
export const NETLINK_ROUTE_RULE: SeccompArgRule = { syscall: 'socket', args: [{ index: 0, value: AF_NETLINK }, { index: 2, value: NETLINK_ROUTE }] };

/** Port 0 asks the kernel for an ephemeral port, as clients do (Node's dgram binds 0 before sending). */
export const EPHEMERAL_PORT = 0;

/**
 * Landlock for every app: its abstract unix sockets and signals stay within its own sandbox
 * (the host's abstract sockets are reachable otherwise when it shares the host's network
 * namespace); and, when binds are guarded, TCP binds only to an ephemeral port.
 */
export function landlockPlan(guardBinds: boolean): LandlockPlan {
  return { scope: ['abstract-unix-socket', 'signal'], ...(guardBinds ? { bindTcpPorts: [EPHEMERAL_PORT] } : {}) };
}

/**
 * The cgroup-BPF bind guard (TCP and UDP) when binds are guarded and the host has a cgroup2
 * mount; without one only Landlock's TCP guard remains (see README, "Known gaps").
 */
export function bindGuardPlan(guardBinds: boolean, cgroup2Root: string | null): BindGuardPlan | null {
  return guardBinds && cgroup2Root ? { cgroup2Root } : null;
}
