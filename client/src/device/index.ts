// Contract stubs for device state (issue 4). Replaced by the real modules; keep these names.
import { SkiffError } from '@skiff/bundle';
import type { AppContext } from '@skiff/confinement';

const todo = (what: string): never => { throw new SkiffError('not-implemented', `${what} is not implemented yet`); };

export interface Grant { app: string; plug: string; granted: boolean; auto: boolean }

/** The device under a root folder: its state database and layout. */
export interface Device {
  root: string;
  /** The confinement context of an installed app's current (or given) revision; code 'not-installed' otherwise. */
  appContext(name: string, revision?: number): AppContext;
  /** Plugs asked by installed apps and whether each is connected. */
  listGrants(name?: string): Grant[];
  /** Connects or disconnects a plug the app asks for, then rewrites its wrappers. */
  setGrant(name: string, plug: string, granted: boolean): void;
  close(): void;
}

export function openDevice(root: string): Device { void root; return todo('openDevice'); }
