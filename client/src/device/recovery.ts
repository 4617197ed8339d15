import { existsSync, mkdirSync } from 'node:fs';
import { removeEmptyCgroups } from '@skiff/native';
import { probeCgroups, staleLaunchCgroups } from '@skiff/confinement';
import type { ChangeRunner } from './changes';
import type { DeviceEnv } from './env';
import type { ChangeRow } from './task';
import { mountVolumeAt, volumeBytes } from './data-volume';

/**
 * Recovery, run before any command and at boot: a change interrupted before its commit point is
 * undone, one past it is finished. The runner knows which is which from the task statuses.
 */
export async function recoverChanges(runner: ChangeRunner<DeviceEnv>): Promise<ChangeRow[]> {
  const recovered = await runner.recover();
  removeLeftoverCgroups();
  return recovered;
}

/** Removes the empty cgroups of hooks and apps whose launcher was killed; never fails a command. */
export function removeLeftoverCgroups(): string[] {
  try {
    return removeEmptyCgroups(staleLaunchCgroups(probeCgroups()));
  } catch {
    return [];  // no usable hierarchy, or not root: nothing of ours can be there
  }
}

/** Boot: mounts every retained revision and data volume again (mounts do not survive a reboot). Returns warnings. */
export function remountAll(env: DeviceEnv): string[] {
  const { paths, state } = env.device;
  const warnings: string[] = [];
  for (const r of state.allRevisions()) {
    const dir = paths.mountDir(r.name, r.rev);
    const file = paths.bundleFile(r.name, r.rev);
    if (!existsSync(file)) { warnings.push(`${r.name} revision ${r.rev}: bundle ${file} is missing`); continue; }
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    try {
      if (!env.backend.isMounted(dir)) env.backend.mountBundle(file, dir);
    } catch (err) {
      warnings.push(`${r.name} revision ${r.rev}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Apps with a revision on disk, installed or mid-change: a change recovered next may need their data.
  for (const name of new Set(state.allRevisions().map((r) => r.name))) {
    const image = paths.volumeImage(name);
    if (!existsSync(image)) continue;
    // Grown offline first if data.max-size was raised while it could not grow online.
    try { mountVolumeAt(image, paths.appDataDir(name), volumeBytes(env.device)); } catch (err) {
      warnings.push(`${name} data volume: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return warnings;
}
