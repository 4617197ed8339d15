import type { TaskHandler } from '../changes';
import type { DeviceEnv } from '../env';
import { ArchitectureError, BundleMismatchError } from '../errors';
import { ARCHITECTURE_SETTING, deviceArchitecture, foreignArchitectures } from '../architecture';

/** name/rev: what the device asked for; signed: the custom fields of the TUF target. */
export interface VerifyParams { name: string; rev: number; version: string; signed: { name: string; revision: number } }

/**
 * Checks that the signed target is the one asked for, and that the mounted bundle's own manifest and
 * tree agree with it. Runs after mount: the download already matched the signed sha256, so the
 * kernel only ever reads signed bytes, and the manifest is read from the mount, not unpacked again.
 * On a refusal the mount task's undo unmounts and deletes the revision.
 */
export const verify: TaskHandler<DeviceEnv, VerifyParams> = {
  async do(env, task) {
    const p = task.params;
    const file = env.device.paths.bundleFile(p.name, p.rev);
    if (p.signed.name !== p.name || p.signed.revision !== p.rev) {
      throw new BundleMismatchError(`the store signed ${p.signed.name} revision ${p.signed.revision} where ${p.name} revision ${p.rev} was asked`, file);
    }
    const dir = env.device.paths.mountDir(p.name, p.rev);
    const m = env.backend.mountedManifest(dir);
    if (m.name !== p.name) throw new BundleMismatchError(`bundle of ${p.name} revision ${p.rev} names itself "${m.name}"`, file);
    if (m.version !== p.version) {
      throw new BundleMismatchError(`bundle of ${p.name} revision ${p.rev} has version "${m.version}", the store signed "${p.version}"`, file);
    }
    // The channel map already chose this architecture's build; this catches --revision of another one.
    const arch = deviceArchitecture(env.device.state.configGet(ARCHITECTURE_SETTING));
    const foreign = foreignArchitectures(m, arch);
    if (foreign) throw new ArchitectureError(`bundle of ${p.name} revision ${p.rev} is built for ${foreign}, not for this device's ${arch}`);
    await env.backend.checkMountedTree(dir, m);
  },
  async undo() { /* reads only */ },
};
