// The task lists of install, refresh, revert and remove. Building a plan reads state but changes nothing.
import type { DeviceTaskSpec } from './tasks';
import type { DeviceEnv } from './env';
import type { BundleTarget } from '../trust';
import { deltaSpecs, type DeltaChoice } from './deltas';
import type { AppRow } from './state';
import type { HookName } from '@skiff/bundle';
import { RevertError } from './errors';
import { formatSize, volumeBytes } from './data-volume';
import { existsSync } from 'node:fs';

/** Where the new revision's bundle comes from: a verified store target, or a local file (dangerous). */
export type Source =
  | { kind: 'store'; target: BundleTarget; channel: string; delta?: DeltaChoice }
  | { kind: 'local'; file: string; sha256: string; size: number; version: string; devmode: boolean };

/** Tasks that bring revision `rev` of `name` in and make it current; `app` is the installed app, if any. */
export function switchInPlan(env: DeviceEnv, name: string, rev: number, source: Source, app: AppRow | undefined): DeviceTaskSpec[] {
  const { state } = env.device;
  const from = app?.current ?? null;
  const channel = source.kind === 'store' ? source.channel : (app?.channel ?? '');
  const uid = state.uidOf(name);
  const specs: DeviceTaskSpec[] = [];
  const have = state.revision(name, rev) !== undefined;
  if (!have && source.kind === 'store') {
    const t = source.target;
    if (source.delta) specs.push(...deltaSpecs(t, source.delta));
    const unless = source.delta ? ', unless rebuilt from the delta' : '';
    specs.push({ kind: 'download', summary: `Download ${name} revision ${rev} (${t.length} bytes${unless})`, params: { name, rev, target: t } });
  } else if (!have && source.kind === 'local') {
    specs.push({ kind: 'copy-local', summary: `Copy ${source.file} into the device`, params: { name, rev, file: source.file, size: source.size } });
  }
  if (!have) {
    const [sha256, size] = source.kind === 'store' ? [source.target.sha256, source.target.length] : [source.sha256, source.size];
    specs.push({ kind: 'mount', summary: `Mount ${name} revision ${rev} read-only`, params: {
      name, rev, sha256, size, channel: source.kind === 'store' ? source.channel : null,
      dangerous: source.kind === 'local', devmode: source.kind === 'local' && source.devmode,
    } });
  }
  if (!have && source.kind === 'store') {
    const t = source.target;
    specs.push({ kind: 'verify', summary: `Check that the bundle is ${name} ${t.custom.version}`, params: { name, rev, version: t.custom.version, signed: { name: t.custom.name, revision: t.custom.revision } } });
  }
  if (from !== null) specs.push(hook(name, from, 'pre-refresh', false));
  if (from !== null) specs.push(stopServices(name, from, true));
  if (!have) {
    const bytes = volumeBytes(env.device);
    specs.push({ kind: 'mount-data', summary: `Mount the data volume of ${name} (${formatSize(bytes)})`, params: { name, from, to: rev, bytes } });
  }
  if (!have) specs.push({ kind: 'copy-data', summary: from === null ? `Prepare data of ${name}` : `Copy data of revision ${from} to ${rev}`, params: { name, from, to: rev, uid } });
  specs.push({ kind: 'switch', summary: `Make revision ${rev} of ${name} current`, commitPoint: true,
    params: { name, to: rev, from, channel, fromChannel: app?.channel ?? null } });
  specs.push({ kind: 'wrappers', summary: `Write the wrappers of ${name}`, params: { name, rev, from } });
  specs.push(startServices(name, rev, from !== null));
  // On trial: a failing hook after the switch rolls back and, on refresh, blocks the revision.
  specs.push(hook(name, rev, from === null ? 'install' : 'post-refresh', from !== null));
  specs.push(hook(name, rev, 'check-health', from !== null));
  if (from !== null) specs.push({ kind: 'prune', summary: `Drop revisions of ${name} beyond refresh.retain`, params: { name } });
  return specs;
}

function stopServices(name: string, rev: number, keepEndure: boolean): DeviceTaskSpec {
  return { kind: 'stop-services', summary: `Stop the services of ${name} revision ${rev}`, params: { name, rev, keepEndure } };
}

// On trial like check-health: a service that is not up rolls the change back and (refresh, revert) blocks the revision.
function startServices(name: string, rev: number, onTrial: boolean): DeviceTaskSpec {
  const summary = `Start the services of ${name} revision ${rev}${onTrial ? ' and wait until they are up' : ''}`;
  return { kind: 'start-services', summary, params: { name, rev, waitUp: onTrial, blockOnFailure: onTrial } };
}

function hook(name: string, rev: number, h: HookName, blockOnFailure: boolean): DeviceTaskSpec {
  return { kind: 'run-hook', summary: `Run the ${h} hook of ${name} revision ${rev}`, params: { name, rev, hook: h, blockOnFailure } };
}

/** Revert: back to a retained revision with its own data, untouched; the one left is blocked, the one chosen unblocked. */
export function revertPlan(env: DeviceEnv, app: AppRow, revision?: number): { to: number; specs: DeviceTaskSpec[] } {
  const revs = env.device.state.revisions(app.name).map((r) => r.rev).filter((r) => r !== app.current);
  let to: number | undefined;
  if (revision !== undefined) {
    if (revision === app.current) throw new RevertError(`${app.name} is already at revision ${revision}`);
    if (!revs.includes(revision)) throw new RevertError(`revision ${revision} of ${app.name} is not retained (retained: ${revs.join(', ') || 'none'})`);
    to = revision;
  } else {
    to = revs.filter((r) => r < app.current).sort((a, b) => b - a)[0];
    if (to === undefined) throw new RevertError(`${app.name} has no earlier revision to revert to`);
  }
  return { to, specs: [
    // Before the commit point: a revert undone (or interrupted before its switch) puts the block back.
    { kind: 'unblock', summary: `Allow revision ${to} of ${app.name} again`, params: { name: app.name, rev: to } },
    stopServices(app.name, app.current, true),
    { kind: 'switch', summary: `Make revision ${to} of ${app.name} current`, commitPoint: true,
      params: { name: app.name, to, from: app.current, channel: app.channel, fromChannel: app.channel } },
    { kind: 'wrappers', summary: `Write the wrappers of ${app.name}`, params: { name: app.name, rev: to, from: app.current } },
    startServices(app.name, to, true),
    { kind: 'block', summary: `Keep revision ${app.current} from automatic refresh`, params: { name: app.name, rev: app.current, reason: 'reverted' } },
  ] };
}

/** Remove: remove hook, wrappers, `current` (the commit point), every revision, then the data kept or purged (with the blocks). */
export function removePlan(env: DeviceEnv, app: AppRow, purge: boolean): DeviceTaskSpec[] {
  const revs = env.device.state.revisions(app.name).map((r) => r.rev);
  const summary = purge ? `Delete the data of ${app.name}` : `Keep a snapshot of the data of ${app.name}`;
  // Data in a volume: the image is the snapshot, or is deleted whole; older revisions' data go with discard.
  const volume = existsSync(env.device.paths.volumeImage(app.name));
  const keep: DeviceTaskSpec = volume
    ? { kind: 'keep-volume', summary, params: { name: app.name, rev: app.current, purge } }
    : { kind: 'keep-data', summary, params: { name: app.name, rev: app.current, purge } };
  const specs: DeviceTaskSpec[] = [
    hook(app.name, app.current, 'remove', false),
    stopServices(app.name, app.current, false),
    { kind: 'unwrap', summary: `Remove the wrappers of ${app.name}`, params: { name: app.name, rev: app.current, from: null } },
    { kind: 'unlink', summary: `Remove ${app.name} from the device`, commitPoint: true, params: { name: app.name, rev: app.current, channel: app.channel } },
    ...revs.map((rev): DeviceTaskSpec => ({ kind: 'discard', summary: `Unmount and delete revision ${rev} of ${app.name}`,
      params: { name: app.name, rev, keepData: !volume || purge || rev === app.current } })),
    keep,
  ];
  if (purge) specs.push({ kind: 'forget-blocks', summary: `Forget the blocked revisions of ${app.name}`, params: { name: app.name } });
  return specs;
}
