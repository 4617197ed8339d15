// A world for trust tests: a real store on loopback, the attacker proxy in front of it, a forger holding
// the store's keys, and fresh device trust folders that talk to the store through the proxy.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packBundle } from '@skiff/bundle';
import { DeviceTrust, type TrustSettings } from '@skiff/client/dist/src/trust';
import { startStore, publish, type RunningStore } from './store';
import { TrustProxy } from './trust-proxy';
import { Forger } from './trust-forge';

/** Short limits so refusals and retries show within a test's time. */
export const TEST_SETTINGS: Partial<TrustSettings> = {
  requestTimeoutMs: 5000, stallTimeoutMs: 500, metadataTimeoutMs: 5000,
  retries: 2, retryBaseDelayMs: 20, retryMaxDelayMs: 100, freeDiskMarginBytes: 0,
};

export interface Published { name: string; revision: number; sha256: string; size: number; path: string }

export interface TestDevice {
  trust: DeviceTrust;
  trustDir: string;
  bundlesDir: string;
  dest(name: string, revision: number): string;
  /** Files in the bundles folder: a refusal must leave it empty. */
  bundleFiles(): string[];
}

export class TrustWorld {
  private devices = 0;

  private constructor(readonly store: RunningStore, readonly proxy: TrustProxy, readonly forger: Forger, readonly tmp: string) {}

  static async start(): Promise<TrustWorld> {
    const tmp = mkdtempSync(join(tmpdir(), 'skiff-trust-'));
    const store = await startStore();
    const proxy = await TrustProxy.start(store.url);
    return new TrustWorld(store, proxy, new Forger(store.url, store.dataDir), tmp);
  }

  /** Packs an app whose payload is `payloadBytes` of random (incompressible) data, uploads and releases it to latest/stable. */
  async publish(name: string, payloadBytes = 64 * 1024, version = '1.0'): Promise<Published> {
    const dir = join(this.tmp, 'src', `${name}-${version}-${randomBytes(3).toString('hex')}`);
    mkdirSync(join(dir, 'meta'), { recursive: true });
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(join(dir, 'meta', 'app.yaml'), `name: ${name}\nversion: '${version}'\nsummary: trust test app\napps:\n  ${name}:\n    command: bin/run\n`);
    writeFileSync(join(dir, 'bin', 'run'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    writeFileSync(join(dir, 'payload'), randomBytes(payloadBytes));
    const packed = await packBundle(dir, join(this.tmp, 'out'));
    const revision = await publish(this.store, packed.path, 'latest/stable');
    return { name, revision, sha256: packed.sha256, size: packed.size, path: packed.path };
  }

  /** The store's file for a bundle target, under DATA/repo/targets (consistent-snapshot name). */
  targetFile(p: Published): string {
    return join(this.store.dataDir, 'repo', 'targets', 'apps', p.name, `${p.sha256}.${p.revision}.skiff`);
  }

  /** The request path a device uses for a bundle. */
  targetRequestPath(p: Published): string {
    return `/repo/targets/apps/${p.name}/${p.sha256}.${p.revision}.skiff`;
  }

  /** A new device that ships the store's root and reaches the store through the proxy. */
  device(settings: Partial<TrustSettings> = {}, trustDir?: string): TestDevice {
    const base = join(this.tmp, `device-${++this.devices}`);
    const dir = trustDir ?? join(base, 'trust');
    const bundlesDir = join(base, 'bundles');
    mkdirSync(bundlesDir, { recursive: true });
    if (!existsSync(join(dir, 'root.json'))) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'root.json'), readFileSync(this.store.rootJsonPath)); // as `skiff setup` would
    }
    const trust = new DeviceTrust({ trustDir: dir, storeUrl: this.proxy.url, settings: { ...TEST_SETTINGS, ...settings } });
    return {
      trust, trustDir: dir, bundlesDir,
      dest: (name, revision) => join(bundlesDir, `${name}_${revision}.skiff`),
      bundleFiles: () => readdirSync(bundlesDir),
    };
  }

  async close(): Promise<void> {
    await this.proxy.stop();
    await this.store.stop();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
