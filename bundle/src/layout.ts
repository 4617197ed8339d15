import { join } from 'node:path';

/**
 * The device's tree under its root folder (docs/design.md, "The device layout under --root"): the one place that
 * names its paths, for the device (client) and the confinement policy alike.
 */
export class DeviceLayout {
  readonly stateDir: string;
  readonly stateDb: string;
  readonly trustDir: string;
  readonly bundlesDir: string;
  readonly snapshotsDir: string;
  readonly partialsDir: string;
  readonly volumesDir: string;
  readonly plansDir: string;
  readonly rebuildDir: string;
  readonly appsDir: string;
  readonly binDir: string;
  readonly dataDir: string;
  readonly servicesRunDir: string;
  readonly servicesLogDir: string;
  /** skiffd's socket (mode 0666: every local user may ask; the caller's uid decides what it may do). */
  readonly agentSocket: string;
  /** skiffd's pid and start time while it runs: one agent per root. */
  readonly agentPidFile: string;

  constructor(readonly root: string) {
    this.stateDir = join(root, 'var/lib/skiff');
    this.stateDb = join(this.stateDir, 'state.db');
    this.trustDir = join(this.stateDir, 'trust');
    this.bundlesDir = join(this.stateDir, 'bundles');
    // Data kept by `remove` (without --purge) for a later install to restore.
    this.snapshotsDir = join(this.stateDir, 'snapshots');
    // Interrupted downloads kept across changes, by the signed sha256, for the next attempt to resume.
    this.partialsDir = join(this.stateDir, 'partials');
    // One ext4 image per app holding its writable data (mounted at appDataDir): the kernel caps its size.
    this.volumesDir = join(this.stateDir, 'data');
    // Launch plans saved for the wrappers, which exec skiff-launch on them (no Node at start).
    this.plansDir = join(this.stateDir, 'plans');
    // Work folders of bundles rebuilt from deltas (an overlay's upper and work folders, its mount point).
    this.rebuildDir = join(this.stateDir, 'rebuild');
    this.appsDir = join(root, 'skiff');
    this.binDir = join(this.appsDir, 'bin');
    this.dataDir = join(root, 'var/skiff');
    // What each service's parent (skiff-shim) records: pids, start times, cgroup, exit status. Gone at boot.
    this.servicesRunDir = join(root, 'run/skiff/services');
    this.servicesLogDir = join(root, 'var/log/skiff');
    this.agentSocket = join(root, 'run/skiff/skiffd.sock');
    this.agentPidFile = join(root, 'run/skiff/skiffd.pid');
  }

  bundleFile(name: string, rev: number): string { return join(this.bundlesDir, `${name}_${rev}.skiff`); }
  /** A downloaded delta, beside the bundle it rebuilds. */
  deltaFile(name: string, from: number, to: number): string { return join(this.bundlesDir, `${name}_${to}.from-${from}.delta`); }
  /** The work folder of one rebuild. */
  rebuildWorkDir(name: string, rev: number): string { return join(this.rebuildDir, `${name}_${rev}`); }
  partialFile(sha256: string): string { return join(this.partialsDir, `${sha256}.partial`); }
  appDir(name: string): string { return join(this.appsDir, name); }
  mountDir(name: string, rev: number): string { return join(this.appsDir, name, String(rev)); }
  currentLink(name: string): string { return join(this.appsDir, name, 'current'); }
  volumeImage(name: string): string { return join(this.volumesDir, `${name}.img`); }
  appDataDir(name: string): string { return join(this.dataDir, name); }
  revDataDir(name: string, rev: number): string { return join(this.dataDir, name, String(rev)); }
  commonDataDir(name: string): string { return join(this.dataDir, name, 'common'); }
  snapshotDir(name: string): string { return join(this.snapshotsDir, name); }
  /** The saved plan of one app of a bundle: `<name>.<app>.json`. */
  planFile(name: string, app: string): string { return join(this.plansDir, `${name}.${app}.json`); }
  /** The records of service `<name>.<app>` (a tmpfs at /run on a device: they describe running processes only). */
  serviceRunDir(name: string, app: string): string { return join(this.servicesRunDir, `${name}.${app}`); }
  /** The logs of service `<name>.<app>`: `current` and the rotated files. */
  serviceLogDir(name: string, app: string): string { return join(this.servicesLogDir, `${name}.${app}`); }
  /** A wrapper: `<name>` (the default app) or `<name>.<app>`. */
  wrapperFile(command: string): string { return join(this.binDir, command); }
}
