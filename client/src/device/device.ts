import { DeviceLayout, SkiffError } from '@skiff/bundle';
import type { AppContext } from '@skiff/confinement';
import { DeviceState } from './state';
import { writeWrappers } from './wrappers';
import { NotInstalledError } from './errors';
import { grantsOf, plugsOf, type Grant } from './grants';

/** The device under a root folder: its state database and layout. */
export interface Device {
  root: string;
  paths: DeviceLayout;
  state: DeviceState;
  /** The confinement context of an installed app's current (or given) revision; code 'not-installed' otherwise. */
  appContext(name: string, revision?: number): AppContext;
  /** Plugs asked by installed apps and whether each is connected. */
  listGrants(name?: string): Grant[];
  /** Connects or disconnects a plug the app asks for, then rewrites its wrappers. */
  setGrant(name: string, plug: string, granted: boolean): void;
  close(): void;
}

class LocalDevice implements Device {
  readonly paths: DeviceLayout;
  readonly state: DeviceState;

  constructor(readonly root: string) {
    this.paths = new DeviceLayout(root);
    this.state = new DeviceState(this.paths.stateDb);
  }

  appContext(name: string, revision?: number): AppContext {
    const app = this.state.app(name);
    if (!app) throw new NotInstalledError(name);
    const rev = revision ?? app.current;
    const row = this.state.revision(name, rev);
    if (!row) throw new NotInstalledError(name, rev);
    const uid = this.state.uidOf(name);
    const grants = grantsOf(name, row.manifest, this.state.grantRows(name)).filter((g) => g.granted).map((g) => g.plug);
    return { root: this.root, name, revision: rev, version: row.version, manifest: row.manifest, uid, gid: uid, grants, devmode: row.devmode };
  }

  listGrants(name?: string): Grant[] {
    const apps = name === undefined ? this.state.apps() : [this.state.app(name) ?? (() => { throw new NotInstalledError(name); })()];
    return apps.flatMap((a) => {
      const row = this.state.revision(a.name, a.current);
      return row ? grantsOf(a.name, row.manifest, this.state.grantRows(a.name)) : [];
    });
  }

  setGrant(name: string, plug: string, granted: boolean): void {
    const ctx = this.appContext(name);
    if (!plugsOf(ctx.manifest).includes(plug)) {
      throw new SkiffError('plug-not-found', `${name} does not ask for the "${plug}" plug (it asks for: ${plugsOf(ctx.manifest).join(', ') || 'none'})`);
    }
    this.state.tx(() => this.state.putGrant(name, plug, granted));
    writeWrappers(this.appContext(name));
  }

  close(): void { this.state.close(); }
}

/** Opens the device state under root (creating state.db on first use). Cheap: no recovery, no lock. */
export function openDevice(root: string): Device { return new LocalDevice(root); }
