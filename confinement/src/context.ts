// The inputs of confinement policy: one installed revision of an app, and what to run from it.
import type { Manifest, HookName } from '@skiff/bundle';
import type { DeviceLimits } from './limits';

/**
 * One installed revision of an app as confinement sees it. Paths follow the device layout (DeviceLayout):
 * bundle <root>/skiff/<name>/<revision>, data <root>/var/skiff/<name>/<revision>,
 * common <root>/var/skiff/<name>/common.
 */
export interface AppContext {
  root: string;
  name: string;
  revision: number;
  version: string;
  manifest: Manifest;
  /** The app's own unprivileged user and group (allocated per app by the device). */
  uid: number;
  gid: number;
  /** Plugs currently connected (granted), e.g. ['network']. */
  grants: string[];
  /** Log denied syscalls instead of blocking them. */
  devmode: boolean;
  /** The device's limit settings (defaults in limits.ts); an app's resources are capped by them. */
  limits?: Partial<DeviceLimits>;
}

/** What to run: an app of the bundle (`hello` or `hello.report` → app name) or a hook. */
export type LaunchTarget = { app: string } | { hook: HookName };

export { buildLaunchPlan } from './plan';
