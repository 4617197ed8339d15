import type { FastifyInstance } from 'fastify';
import { levels } from 'pino';
import { buildApp } from './app';
import { initialisedStorePaths, openStore, type StoreContext } from './context';
import type { StoreSettings } from './settings';
import { BadRequestError, ListenError } from './errors';
import { lockDataDir } from './lock';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';

export interface ServeOptions {
  dataDir: string;
  /** HOST:PORT; port 0 picks a free one. */
  listen: string;
  settings?: Partial<StoreSettings>;
  logLevel?: string;
  /** After SIGTERM, in-flight requests get this long before the process exits anyway. */
  shutdownGraceMs?: number;
}

/** How often Node looks for requests past their header or request timeout (its default, 30 s, would let them overrun). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;
/** Descriptors the store needs besides connections: database, logs, unsquashfs pipes. */
const FD_RESERVE = 64;

/** This process's limit on open files (Node raised the soft limit to the hard one at start), or null where unreadable. */
function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface RunningServer { app: FastifyInstance; context: StoreContext; url: string; close(): Promise<void> }

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new BadRequestError(`bad --listen "${text}": expected HOST:PORT`, 'usage');
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** The log levels pino knows, and `silent`. */
const LOG_LEVELS: readonly string[] = [...Object.keys(levels.values), 'silent'];

/** A usage error before anything starts, rather than pino's own message from inside fastify. */
function checkLogLevel(level: string): string {
  if (!LOG_LEVELS.includes(level)) throw new BadRequestError(`bad --log-level "${level}": expected one of ${LOG_LEVELS.join(', ')}`, 'usage');
  return level;
}

/** Why listen() failed, in one line naming the address; other errors pass through. */
function listenError(err: unknown, listen: string): unknown {
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is in use (another server?)',
    EADDRNOTAVAIL: 'no interface of this host has that address',
    EACCES: 'not permitted (ports below 1024 need root)',
  };
  const reason = why[(err as NodeJS.ErrnoException).code ?? ''];
  return reason ? new ListenError(`cannot listen on ${listen}: ${reason}; choose another with --listen HOST:PORT`) : err;
}

/** Opens the store (clearing what a crash left), listens, and keeps the online metadata fresh. */
export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const { host, port } = parseListen(opts.listen);
  const logLevel = checkLogLevel(opts.logLevel ?? 'info');
  initialisedStorePaths(opts.dataDir);
  const unlock = lockDataDir(resolve(opts.dataDir));
  let context: StoreContext;
  try {
    context = openStore(opts.dataDir, opts.settings, { recover: true });
  } catch (err) {
    unlock();
    throw err;
  }
  const { settings } = context;
  const app = await buildApp(context, {
    logger: { level: logLevel },
    connectionTimeout: settings.socketIdleTimeoutSeconds * 1000,
    keepAliveTimeout: settings.keepAliveTimeoutSeconds * 1000,
    requestTimeout: settings.requestTimeoutSeconds * 1000,
    http: { headersTimeout: settings.headersTimeoutSeconds * 1000, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
  });
  // Each connection holds a file descriptor: past the process's limit, accept() fails for everyone.
  app.server.maxConnections = settings.maxConnections;
  const fdLimit = openFilesLimit();
  if (fdLimit !== null && settings.maxConnections * 2 + FD_RESERVE > fdLimit) {
    app.log.warn({ maxConnections: settings.maxConnections, openFilesLimit: fdLimit }, 'the open-files limit is low for maxConnections (an upload holds a socket and a file): raise `ulimit -n` or lower --max-connections');
  }
  const abandon = async (err: unknown): Promise<never> => {
    await app.close();
    context.close();
    unlock();
    throw err;
  };
  // Listen before re-signing anything: a busy address must leave the repository as it was. A request
  // arriving before the refresh below gets the repository as the last run left it (signed, maybe stale).
  const url = await app.listen({ host, port }).catch((err: unknown) => abandon(listenError(err, opts.listen)));
  const rootWarnMs = context.settings.onlineResignMarginSeconds * 1000 * 15;
  const refresh = () => {
    try {
      // Root is signed offline-capable: the server only warns, well ahead, that it needs a new version.
      const rootLeft = context.tuf.rootExpires.getTime() - Date.now();
      if (rootLeft < rootWarnMs) app.log.warn({ rootExpires: context.tuf.rootExpires.toISOString() }, 'root metadata expires soon: sign a new root version');
      const report = app.store.releases.refreshExpiring();
      if (report) app.log.info({ files: report.files.map((f) => f.name), timestampVersion: report.timestampVersion }, 're-signed metadata close to expiry');
    } catch (err) {
      app.log.error({ err }, 're-signing metadata failed');
    }
  };
  let fixed: ReturnType<typeof app.store.releases.reconcile>;
  try {
    fixed = app.store.releases.reconcile();
  } catch (err) {
    return abandon(err);
  }
  if (fixed.report) app.log.warn({ apps: fixed.apps, timestampVersion: fixed.report.timestampVersion }, 'signed channel maps differed from the database (a release interrupted by a crash); re-signed them');
  refresh();
  // Jobs queued or running when the store last stopped (or died) run again.
  const pending = app.store.deltas.pending().length;
  if (pending) app.log.info({ jobs: pending }, 'delta jobs resumed');
  app.store.deltas.start();
  const timer = setInterval(refresh, context.settings.expiryCheckIntervalSeconds * 1000);
  timer.unref();
  const prune = () => {
    try {
      const deleted = context.tuf.pruneSuperseded();
      if (deleted.length) app.log.info({ count: deleted.length }, 'deleted superseded metadata versions');
    } catch (err) {
      app.log.error({ err }, 'pruning superseded metadata failed');
    }
  };
  const pruneTimer = setInterval(prune, context.settings.pruneIntervalSeconds * 1000);
  pruneTimer.unref();
  let closing: Promise<void> | null = null;
  const close = () => closing ??= (async () => {
    clearInterval(timer);
    clearInterval(pruneTimer);
    app.store.deltas.stop();
    await app.close();
    context.close();
    unlock();
  })();
  return { app, context, url, close };
}

/** `skiff-store serve`: runs until SIGTERM or SIGINT, then drains and exits 0. */
export async function serveUntilSignalled(opts: ServeOptions): Promise<void> {
  const server = await serve(opts);
  const grace = opts.shutdownGraceMs ?? 10_000;
  const stop = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      server.app.log.warn('in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, grace).unref();
    server.close().then(() => process.exit(0), (err) => {
      server.app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
