// Who called: the credentials of a unix socket's peer (SO_PEERCRED), for skiffd to decide what a caller may do.
import { native, type PeerCredentials } from './loader';

/** The pid, uid and gid of the process connected at the other end of fd (a connected unix socket). */
export function peerCredentials(fd: number): PeerCredentials {
  return native().peerCredentials(fd);
}
