// Who may do what, decided from the caller's uid as the kernel recorded it on the socket (SO_PEERCRED):
// reads are open to every local user; changes, config and logs are root's.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { peerCredentials, type PeerCredentials } from '@skiff/native';
import { NotRootError } from '@skiff/bundle';
import type { AgentAccess } from './module';

const peers = new WeakMap<Socket, PeerCredentials>();

/** The fd under a net.Socket (its libuv pipe handle): Node has no public accessor. */
function fdOf(sock: Socket): number {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the connection has no file descriptor');
  return fd;
}

/** Reads each caller's credentials once, when it connects (before any request is read). */
export function recordPeers(server: Server): void {
  server.on('connection', (sock: Socket) => { peers.set(sock, peerCredentials(fdOf(sock))); });
}

/** The caller of a request (unknown credentials count as nobody's). */
export function callerOf(request: FastifyRequest): PeerCredentials | undefined {
  return peers.get(request.raw.socket);
}

export const access: AgentAccess = {
  rootOnly(request: FastifyRequest): void {
    if (callerOf(request)?.uid === 0) return;
    throw new NotRootError(`${request.method} ${request.routeOptions.url ?? request.url}`, 'changes, config and logs are root\'s; run it as root');
  },
};
