// peerCredentials reads who is at the other end of a unix socket: the server side of a connection
// made from this process sees this process's pid, uid and gid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerCredentials } from '../src';

/** The fd under a net.Socket (a libuv pipe handle); Node does not expose it otherwise. */
const fdOf = (s: Socket): number => (s as unknown as { _handle: { fd: number } })._handle.fd;

test('the server side of a unix socket sees the connecting process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-peer-'));
  const path = join(dir, 's.sock');
  const server = createServer();
  try {
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = connect(path);
    const sock = await accepted;
    assert.deepEqual(peerCredentials(fdOf(sock)), { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    client.destroy();
    sock.destroy();
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a descriptor that is not a socket is refused with the step named', () => {
  assert.throws(() => peerCredentials(0 + 1e6), /getsockopt SO_PEERCRED: Bad file descriptor/);
  assert.throws(() => peerCredentials(-1), /fd must be an integer >= 0/);
});
