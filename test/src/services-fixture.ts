// Services end to end: bundles whose apps are services, the services API of a real skiffd
// (skiffd-process.ts), and the supervisor alone in a child process (services-host.ts) for bench/services.mjs,
// which lifts the start limit no device setting reaches.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeviceLayout, packBundle } from '@skiff/bundle';
import { killCgroups, readShimStatus } from '@skiff/native';
import { SUPERVISOR_DEFAULTS, type SupervisorSettings } from '@skiff/client/dist/src/services';
import type { SkiffdProcess } from './skiffd-process';

const HOST = join(__dirname, 'services-host.js');

export interface ServiceApp {
  /** The body of bin/<app>, a sh script. */
  script: string;
  /** Manifest lines of the app beside command and plugs, e.g. 'daemon: simple\n    stop-timeout: 1s'. */
  fields: string;
}

/** Packs a bundle whose apps are services (each with the network-bind plug); returns the file. */
export async function makeServiceBundle(work: string, name: string, version: string, apps: Record<string, ServiceApp>, hooks: Record<string, string> = {}): Promise<string> {
  const dir = join(work, `${name}-${version}-src`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'meta', 'hooks'), { recursive: true });
  const appLines = Object.entries(apps).map(([app, a]) => `  ${app}:\n    command: bin/${app}\n    plugs: [network, network-bind]\n    ${a.fields}\n`).join('');
  const hookLines = Object.keys(hooks).length ? `hooks:\n${Object.keys(hooks).map((h) => `  ${h}: {}\n`).join('')}` : '';
  writeFileSync(join(dir, 'meta', 'app.yaml'), `name: ${name}\nversion: '${version}'\nsummary: Service test app\napps:\n${appLines}${hookLines}`);
  for (const [app, a] of Object.entries(apps)) {
    writeFileSync(join(dir, 'bin', app), `#!/bin/sh\n${a.script}\n`);
    chmodSync(join(dir, 'bin', app), 0o755);
  }
  for (const [hook, body] of Object.entries(hooks)) {
    writeFileSync(join(dir, 'meta', 'hooks', hook), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, 'meta', 'hooks', hook), 0o755);
  }
  const out = join(work, `${name}-${version}-out`);
  mkdirSync(out, { recursive: true });
  return (await packBundle(dir, out)).path;
}

/**
 * A sh line that serves "<text>" over HTTP on 127.0.0.1:port (python3 of the host's /usr); GET /exit3
 * makes it exit with code 3. With notify, it writes READY=1 on SKIFF_NOTIFY_FD once it listens.
 */
export function httpServer(port: number, text: string, o: { before?: string; notify?: boolean } = {}): string {
  const ready = o.notify ? 'os.write(int(os.environ["SKIFF_NOTIFY_FD"]), b"READY=1\\n")' : 'pass';
  const py = [
    'import http.server, os',
    'class H(http.server.BaseHTTPRequestHandler):',
    '  def do_GET(s):',
    '    if s.path == "/exit3": os._exit(3)',
    `    s.send_response(200); s.end_headers(); s.wfile.write(b"${text}\\n")`,
    '  def log_message(s, *a): pass',
    `srv = http.server.HTTPServer(("127.0.0.1", ${port}), H)`,
    ready,
    'srv.serve_forever()',
  ].join('\n');
  return `${o.before ?? ''}\nexec python3 -c '${py}'`;
}

/** A port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** GET http://127.0.0.1:port/ → the body, or null when nothing answers. */
export function httpGet(port: number, path = '/'): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.end();
  });
}

export interface HostEvent { event: string; id?: string; exit?: { code: number | null; signal: string | null }; at?: number; [k: string]: unknown }

export interface ServiceRow { service: string; startup: string; current: string; notes: string; pid: number | null; revision: number | null }

/** `skiff services NAME...` through skiffd's API (GET /v1/services). */
export async function listServices(agent: SkiffdProcess, names: string[] = []): Promise<ServiceRow[]> {
  return (await agent.api.call<{ services: ServiceRow[] }>('GET', `/v1/services${names.length ? `?names=${encodeURIComponent(names.join(','))}` : ''}`)).services;
}

/** `skiff start|stop|restart NAME...` through skiffd's API (POST /v1/services); settles once done. */
export async function actOn(agent: SkiffdProcess, action: 'start' | 'stop' | 'restart', names: string[]): Promise<ServiceRow[]> {
  return (await agent.api.call<{ services: ServiceRow[] }>('POST', '/v1/services', { action, names })).services;
}

/** The supervisor alone in a process of its own (bench/services.mjs). */
export class ServicesHost {
  readonly events: HostEvent[] = [];
  private seq = 0;
  private readonly replies = new Map<number, (r: { ok: boolean; result?: unknown; error?: string }) => void>();
  private readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess, readonly settings: SupervisorSettings) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { seq?: number; ok?: boolean } & HostEvent;
      if (msg.seq !== undefined) this.replies.get(msg.seq)?.(msg as never);
      else this.events.push(msg);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(root: string, settings: Partial<SupervisorSettings> = {}): Promise<ServicesHost> {
    const child = spawn(process.execPath, [HOST, root, JSON.stringify(settings)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const host = new ServicesHost(child, { ...SUPERVISOR_DEFAULTS, ...settings });
    await host.until('the host to start', () => host.events.some((e) => e.event === 'host-ready'), 60_000);
    return host;
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.replies.set(seq, (r) => (r.ok ? resolve(r.result as T) : reject(new Error(r.error))));
      this.child.stdin!.write(JSON.stringify({ seq, op, args }) + '\n');
    });
  }

  eventsOf(event: string, id?: string): HostEvent[] { return this.events.filter((e) => e.event === event && (id === undefined || e.id === id)); }

  async until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> {
    for (const deadline = Date.now() + timeoutMs; ;) {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.child.kill(signal);
    await this.exited;
  }

  /** Stops the host politely: its services keep running under their shims. */
  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}

/** SIGKILL to every service shim and cgroup the records under root name: cleanup after a failed test. */
export function killServicesUnder(root: string): void {
  const layout = new DeviceLayout(root);
  let dirs: string[] = [];
  try { dirs = readdirSync(layout.servicesRunDir); } catch { return; }
  for (const d of dirs) {
    const s = readShimStatus(join(layout.servicesRunDir, d));
    if (!s || s.state === 'exited') continue;
    if (s.cgroup) { killCgroups(s.cgroup); }
    try {
      const stat = readFileSync(`/proc/${s.shimPid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) === s.shimStart) process.kill(s.shimPid, 'SIGKILL');
    } catch { /* gone */ }
  }
}

/** Pids of the skiff-shim processes whose command line mentions text (e.g. a service's state folder). */
export function shimsMentioning(text: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    // The sandbox's init is a clone of the shim (same command line), named skiff-init.
    try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'skiff-shim' && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text); } catch { return false; }
  }).map(Number);
}
