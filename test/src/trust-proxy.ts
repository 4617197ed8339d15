// A loopback HTTP proxy in front of a real store, playing the network attacker or a bad link in trust tests:
// it records every request, and for chosen paths serves other bytes, cuts a response, stalls, or never ends.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyRule =
  /** Serve these bytes (status 200) instead of the store's answer: replayed or forged metadata. */
  | { kind: 'serve'; body: Buffer }
  /** Forward the store's answer but close the connection after this many body bytes. */
  | { kind: 'cut'; afterBytes: number }
  /** Forward the store's answer, then go silent after this many body bytes, the connection left open. */
  | { kind: 'hold'; afterBytes: number }
  /** A body that never ends: chunks forever, no Content-Length. */
  | { kind: 'endless' }
  /** Headers, then silence. */
  | { kind: 'stall' }
  /** Forward without the Range header: a server or cache that answers 200 with the whole file. */
  | { kind: 'ignore-range' }
  /** Answer this HTTP status with an empty body (a store or proxy in trouble). */
  | { kind: 'status'; status: number };

export interface RecordedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
}

export class TrustProxy {
  readonly requests: RecordedRequest[] = [];
  /** Body bytes sent to clients, by request path: what a device really downloaded. */
  readonly bytesSent = new Map<string, number>();
  /** Called for every request before it is answered (e.g. to fill a disk once the client has checked it). */
  onRequest: ((path: string) => void) | undefined;
  /** Rules by request path (e.g. /repo/metadata/timestamp.json); `times` counts down, then the rule is dropped. */
  private readonly rules = new Map<string, { rule: ProxyRule; times: number }>();

  private constructor(private readonly server: http.Server, readonly url: string, private readonly upstream: URL) {}

  static async start(upstreamUrl: string): Promise<TrustProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxy = new TrustProxy(server, `http://127.0.0.1:${port}`, new URL(upstreamUrl));
    server.on('request', (req, res) => proxy.handle(req, res));
    return proxy;
  }

  /** Applies a rule to the next `times` requests of a path (default: all of them). */
  on(path: string, rule: ProxyRule, times = Infinity): this {
    this.rules.set(path, { rule, times });
    return this;
  }

  clear(): void {
    this.rules.clear();
    this.onRequest = undefined;
    this.requests.length = 0;
    this.bytesSent.clear();
  }

  requestsFor(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push({ path, headers: { ...req.headers } });
    this.onRequest?.(path);
    const entry = this.rules.get(path);
    if (entry && --entry.times <= 0) this.rules.delete(path);
    const rule = entry?.rule;
    if (rule?.kind === 'serve') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': rule.body.length }).end(rule.body);
      return;
    }
    if (rule?.kind === 'endless') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x7b);
      const pump = () => { while (!res.destroyed && res.write(chunk)); };
      res.on('drain', pump);
      pump();
      return;
    }
    if (rule?.kind === 'status') {
      res.writeHead(rule.status, { 'content-length': 0 }).end();
      return;
    }
    if (rule?.kind === 'stall') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.flushHeaders();
      return;
    }
    if (rule?.kind === 'ignore-range') delete req.headers.range;
    const limit = rule?.kind === 'cut' || rule?.kind === 'hold' ? rule.afterBytes : undefined;
    this.forward(req, res, limit, rule?.kind === 'hold', (bytes) => this.bytesSent.set(path, (this.bytesSent.get(path) ?? 0) + bytes));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, cutAfter: number | undefined, hold: boolean, count: (bytes: number) => void): void {
    const headers = { ...req.headers, host: this.upstream.host };
    const up = http.request(new URL(req.url ?? '/', this.upstream), { method: req.method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      let sent = 0;
      upRes.on('data', (chunk: Buffer) => {
        if (cutAfter !== undefined && sent >= cutAfter) return;
        if (cutAfter !== undefined && sent + chunk.length >= cutAfter) {
          count(cutAfter - sent);
          res.write(chunk.subarray(0, cutAfter - sent), () => { if (!hold) res.destroy(); });
          upRes.destroy();
          sent = cutAfter;
          return;
        }
        sent += chunk.length;
        count(chunk.length);
        if (!res.write(chunk)) { upRes.pause(); res.once('drain', () => upRes.resume()); }
      });
      upRes.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  }
}
