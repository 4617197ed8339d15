// A real store on 127.0.0.1 for end-to-end tests: `skiff-store init`, `account add` and
// `serve` run as the CLI a user would run; `publish` puts a bundle on a channel in one call.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { freePort } from './nginx';
import { uploadSignaturePayload, generateKeyPair, inspectBundle, keyIdOf, publicKeyHex, signBytes, type KeyPair } from '@skiff/bundle';

export interface RunningStore {
  /** Base URL, e.g. http://127.0.0.1:41234 (the TUF repository is under /repo/). */
  url: string;
  dataDir: string;
  /** The root.json a device must be given (printed by `skiff-store init`). */
  rootJsonPath: string;
  /** A publisher account's API token. */
  token: string;
  stop(): Promise<void>;
  /** The `skiff-store serve` process (e.g. to SIGKILL it). */
  child: ChildProcess;
  /** What the server logged so far (JSON lines). */
  logs(): string;
}

export interface StartStoreOptions {
  /** Reuse this folder: initialised if empty, else the store in it is served again. Kept on stop. */
  dataDir?: string;
  /** Name of the account to create (default `publisher`). */
  account?: string;
  /** With an existing dataDir: the token to report instead of creating an account. */
  token?: string;
  /** Extra `skiff-store serve` flags, e.g. ['--max-upload-bytes', '1000']. */
  serveArgs?: string[];
  /** How long to wait for /healthz. */
  startTimeoutMs?: number;
  /** Run the server with this limit on open files (`ulimit -n`), as a service manager may. */
  openFilesLimit?: number;
  /** Deltas made per release (`--delta-sources`); default 0: a delta published later would change what a test's refresh does. */
  deltaSources?: number;
}

/** The `skiff-store` executable of this checkout. */
export const SKIFF_STORE_BIN = join(dirname(require.resolve('@skiff/store-server/package.json')), 'bin', 'skiff-store');

/** Runs `skiff-store ARGS` to completion; throws with its stderr on failure; returns stdout lines. */
export function runStoreCli(args: string[]): string[] {
  const r = spawnSync(process.execPath, [SKIFF_STORE_BIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skiff-store ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout.trimEnd().split('\n');
}

const lastLine = (lines: string[]) => lines[lines.length - 1]!.trim();

export async function startStore(opts: StartStoreOptions = {}): Promise<RunningStore> {
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-store-'));
  let rootJsonPath = join(dataDir, 'repo', 'metadata', '1.root.json');
  if (!existsSync(join(dataDir, 'store.db'))) rootJsonPath = lastLine(runStoreCli(['init', '--data', dataDir]));
  const token = opts.token ?? lastLine(runStoreCli(['account', 'add', opts.account ?? 'publisher', '--data', dataDir]));

  // Port 0 and the address from the "Server listening at" info line; with quieter logs, a free port picked here.
  const quiet = (opts.serveArgs ?? []).includes('--log-level');
  const port = quiet ? await freePort() : 0;
  const serve = [process.execPath, SKIFF_STORE_BIN, 'serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`,
    '--delta-sources', String(opts.deltaSources ?? 0), ...(opts.serveArgs ?? [])];
  // Through sh's ulimit and exec: the pid stays the server's.
  const [command, ...args] = opts.openFilesLimit === undefined ? serve : ['/bin/sh', '-c', `ulimit -n ${opts.openFilesLimit} && exec "$@"`, 'sh', ...serve];
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { logs += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { logs += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await waitForListening(child, () => (quiet ? `Server listening at http://127.0.0.1:${port}` : logs), exited, opts.startTimeoutMs ?? 15_000, () => logs);
  let stopped: Promise<void> | null = null;
  return {
    url, dataDir, rootJsonPath, token, child,
    logs: () => logs,
    stop: () => stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    })(),
  };
}

/** Reads the address from fastify's "Server listening at" log line, then waits for /healthz. */
async function waitForListening(child: ChildProcess, address: () => string, exited: Promise<number | null>, timeoutMs: number, logs: () => string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => { dead = true; });
  while (Date.now() < deadline) {
    if (dead) throw new Error(`skiff-store serve exited (${child.exitCode}) before listening:\n${logs()}`);
    const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(address());
    if (m) {
      try {
        const res = await fetch(`${m[1]}/healthz`);
        if (res.ok) return m[1]!;
      } catch { /* not yet */ }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`skiff-store serve did not become healthy within ${timeoutMs} ms:\n${logs()}`);
}

/** A publisher key registered to a store's account, kept per (store, token) for `publish`. */
const publisherKeys = new Map<string, { keyPair: KeyPair; keyId: string }>();

async function api(store: { url: string }, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${store.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

/** Registers (once) a fresh publisher key for this store and token; returns it. */
export async function publisherKey(store: { url: string; token: string }, token = store.token): Promise<{ keyPair: KeyPair; keyId: string }> {
  const id = `${store.url} ${token}`;
  let key = publisherKeys.get(id);
  if (!key) {
    const keyPair = generateKeyPair();
    const r = await api(store, token, 'POST', '/v1/account/keys', { name: `test-${publisherKeys.size + 1}`, publicKey: publicKeyHex(keyPair) });
    if (r.status !== 201) throw new Error(`key registration failed: ${JSON.stringify(r.json)}`);
    key = { keyPair, keyId: keyIdOf(publicKeyHex(keyPair)) };
    publisherKeys.set(id, key);
  }
  return key;
}

export interface PublishedBundle { name: string; version: string; revision: number; sha256: string; size: number }

/** As `publish`, with options and a fuller answer: `publishBundle(store, path, { channel: 'stable' })`. */
export async function publishBundle(store: { url: string; token: string }, bundlePath: string, opts: { channel?: string; token?: string } = {}): Promise<PublishedBundle> {
  const { manifest } = await inspectBundle(bundlePath);
  const bytes = readFileSync(bundlePath);
  const revision = await publish(store, bundlePath, opts.channel, opts.token !== undefined ? { token: opts.token } : {});
  return { name: manifest.name, version: manifest.version, revision, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

/**
 * Publishes a bundle file in one call: registers its name (if free), a publisher key (once),
 * uploads it signed (an already uploaded blob reuses its revision), and releases it to `channel`
 * (none: upload only). Returns the revision.
 */
export async function publish(store: { url: string; token: string }, bundlePath: string, channel?: string, opts: { token?: string } = {}): Promise<number> {
  const token = opts.token ?? store.token;
  const { manifest } = await inspectBundle(bundlePath);
  const name = manifest.name;
  const reg = await api(store, token, 'POST', '/v1/apps', { name });
  if (reg.status !== 201 && reg.json?.error?.code !== 'name-taken') throw new Error(`registering ${name} failed: ${JSON.stringify(reg.json)}`);
  const key = await publisherKey(store, token);
  const bytes = readFileSync(bundlePath);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const res = await fetch(`${store.url}/v1/uploads`, {
    method: 'POST', body: bytes,
    headers: {
      authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'skiff-key-id': key.keyId,
      'skiff-signature': signBytes(key.keyPair.secretKey, uploadSignaturePayload(name, sha256, bytes.length)),
    },
  });
  const up = await res.json() as any;
  let revision: number;
  if (res.status === 201) revision = up.revision;
  else if (res.status === 409 && up.error?.code === 'duplicate-upload') {
    const info = await api(store, token, 'GET', `/v1/apps/${name}`);
    revision = info.json.revisions.find((r: { sha256: string }) => r.sha256 === sha256).revision;
  } else throw new Error(`uploading ${bundlePath} failed (${res.status}): ${JSON.stringify(up)}`);
  if (channel) {
    const rel = await api(store, token, 'POST', `/v1/apps/${name}/releases`, { revision, channel });
    if (rel.status !== 200) throw new Error(`releasing ${name} ${revision} to ${channel} failed: ${JSON.stringify(rel.json)}`);
  }
  return revision;
}

/** Releases an uploaded revision (or closes the channel with revision null). */
export async function releaseRevision(store: { url: string; token: string }, name: string, revision: number | null, channel: string): Promise<void> {
  const r = revision === null
    ? await api(store, store.token, 'POST', `/v1/apps/${name}/close`, { channel })
    : await api(store, store.token, 'POST', `/v1/apps/${name}/releases`, { revision, channel });
  if (r.status !== 200) throw new Error(`${revision === null ? 'closing' : 'releasing'} ${name} ${channel} failed: ${JSON.stringify(r.json)}`);
}
