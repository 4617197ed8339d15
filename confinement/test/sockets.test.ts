// Root-only: sockets by family, the bind guard, abstract sockets of the host, and the signal state
// an app starts with on real confined processes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlan } from '@skiff/native';
import { buildLaunchPlan } from '../src';
import { Fixture, skipReason } from './fixture';

const skip = skipReason();
const lines = (s: string): Record<string, string> =>
  Object.fromEntries(s.trim().split('\n').filter(Boolean).map((l) => { const i = l.indexOf(' '); return [l.slice(0, i), l.slice(i + 1)]; }));
/** How long the host waits for a confined server to say it is bound. */
const READY_TIMEOUT_MS = 20_000;
const NET = ['network'];
const SERVER = ['network', 'network-bind'];

/** A port free on 127.0.0.1 right now (for UDP and TCP alike). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

async function listening(server: Server, address: string | number): Promise<void> {
  await new Promise<void>((r, j) => { server.once('error', j); server.listen(address as string, r); });
}

describe('sockets of a confined app', { skip: skip ?? false }, () => {
  const fx = new Fixture();
  before(() => fx.setUp());
  after(() => fx.tearDown());
  const probe = (args: string[], grants: string[] = []) => fx.run(fx.ctx('probe', { grants }), { app: 'probe' }, args);

  /** Starts a confined server mode, waits until it has bound (or failed), then runs `client`. */
  async function serveOnce(mode: string, port: number, grants: string[], client: () => Promise<string>) {
    const io = fx.stdio();
    const run = runPlan(buildLaunchPlan(fx.ctx('probe', { grants }), { app: 'probe' }, [mode, String(port)]), { stdio: io.stdio, timeoutMs: 30_000 });
    try {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      while (!/^(listen|bind) \w+$/m.test(readFileSync(io.out, 'utf8')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const first = readFileSync(io.out, 'utf8');
      const ready = !/EPERM|EACCES/.test(first) && /^bind OK$/m.test(first) && (mode !== 'tcp-serve' || /^listen OK$/m.test(first));
      const answer = ready ? await client() : '';
      await run;
      return { out: lines(readFileSync(io.out, 'utf8')), answer };
    } finally { await run.catch(() => undefined); io.close(); }
  }
  const udpAsk = (port: number) => () => new Promise<string>((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject).on('message', (m) => { s.close(); resolve(m.toString()); });
    s.send('ping', port, '127.0.0.1');
  });
  const tcpAsk = (port: number) => () => new Promise<string>((resolve, reject) => {
    let got = '';
    connect(port, '127.0.0.1').on('error', reject).on('data', (d) => { got += d; }).on('end', () => resolve(got));
  });

  test('socket only for unix, inet and inet6: vsock, packet and netlink refused, socketpair unix only', async () => {
    const r = lines((await probe(['sockets'])).out);
    assert.deepEqual(r, { socket_unix: 'OK', socket_inet: 'OK', socket_inet6: 'OK', socket_vsock: 'EPERM', socket_packet: 'EPERM',
      socket_netlink_route: 'EPERM', socket_netlink_uevent: 'EPERM', socketpair_unix: 'OK', socketpair_inet: 'EPERM', getifaddrs: 'EPERM' });
  });

  test('network adds netlink route (getifaddrs) and nothing else', async () => {
    const r = lines((await probe(['sockets'], NET)).out);
    assert.equal(r.socket_netlink_route, 'OK');
    assert.equal(r.getifaddrs, 'OK');
    for (const k of ['socket_vsock', 'socket_packet', 'socket_netlink_uevent', 'socketpair_inet']) assert.equal(r[k], 'EPERM', k);
  });

  test('getaddrinfo("localhost") works with and without network', async () => {
    assert.equal((await probe(['resolve', 'localhost'])).out, 'resolve 127.0.0.1\n');
    assert.equal((await probe(['resolve', 'localhost'], NET)).out, 'resolve 127.0.0.1\n');
  });

  test("the host's abstract unix sockets are out of reach with network; its pathname sockets are not there", async () => {
    const name = `skiff-sock-test-${process.pid}`;
    const path = join(tmpdir(), `${name}.sock`);
    const servers = [createServer((s) => s.end('host-secret\n')), createServer((s) => s.end('host-file\n'))];
    try {
      await listening(servers[0]!, `\0${name}`);
      await listening(servers[1]!, path);
      assert.equal(lines((await probe(['unix-connect', `@${name}`], NET)).out).connect, 'EPERM');
      assert.equal(lines((await probe(['unix-connect', path], NET)).out).connect, 'ENOENT');
    } finally {
      for (const s of servers) s.close();
      rmSync(path, { force: true });
    }
  });

  test('unix servers of the app itself work: datagram always, stream (listen) with network-bind', async () => {
    assert.deepEqual(lines((await probe(['unix-dgram', '/tmp/d.sock'], NET)).out), { bind: 'OK', served: 'OK' });
    assert.deepEqual(lines((await probe(['unix-serve', '@own'], SERVER)).out), { bind: 'OK', listen: 'OK', served: 'OK' });
    assert.deepEqual(lines((await probe(['unix-serve', '/tmp/s.sock'], SERVER)).out), { bind: 'OK', listen: 'OK', served: 'OK' });
    assert.equal(lines((await probe(['unix-serve', '/tmp/s.sock'], NET)).out).listen, 'EPERM');
  });

  test('without network-bind a UDP and a TCP server on the host network cannot bind', async () => {
    const port = await freePort();
    const udp = await serveOnce('udp-serve', port, NET, udpAsk(port));
    assert.equal(udp.out.bind, 'EPERM', JSON.stringify(udp.out));
    const tcp = await serveOnce('tcp-serve', port, NET, tcpAsk(port));
    assert.match(tcp.out.bind ?? '', /^(EPERM|EACCES)$/, JSON.stringify(tcp.out));
  });

  test('with network-bind both answer the host on 127.0.0.1', async () => {
    const port = await freePort();
    const udp = await serveOnce('udp-serve', port, SERVER, udpAsk(port));
    assert.deepEqual([udp.out, udp.answer], [{ bind: 'OK', served: 'OK' }, 'pong']);
    const tcp = await serveOnce('tcp-serve', port, SERVER, tcpAsk(port));
    assert.deepEqual([tcp.out, tcp.answer], [{ bind: 'OK', listen: 'OK', served: 'OK' }, 'pong']);
  });

  test('outbound clients keep working with network: TCP to the host, UDP with a bind to port 0', async () => {
    // The probe closes without reading: the reset it may cause is not this test's business.
    const tcp = createServer((s) => s.on('error', () => undefined).end('hi'));
    const udp: Socket = createSocket('udp4').on('message', (m, from) => udp.send(m, from.port, from.address));
    try {
      await listening(tcp, 0);
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
      assert.equal((await probe(['connect', '127.0.0.1', String((tcp.address() as { port: number }).port)], NET)).out, 'connect OK\n');
      assert.deepEqual(lines((await probe(['udp-client', '127.0.0.1', String(udp.address().port)], NET)).out), { bind0: 'OK', exchange: 'OK' });
    } finally { tcp.close(); udp.close(); }
  });

  test('in a private network namespace binding is left alone (nothing outside can reach it)', async () => {
    assert.equal((await probe(['udp-bind', String(await freePort())])).out, 'bind OK\n');
    assert.equal((await probe(['udp-bind', String(await freePort())], NET)).out, 'bind EPERM\n');
  });
});
