// The device verbs' results as `skiff --json` prints them, and their lines for people: one home for
// both transports (in-process, and through skiffd, which returns these objects as a change's result).
import { SkiffError } from '@skiff/bundle/errors';
import type { DeviceOps, RefreshOutcome } from './ops';
import { FOREVER, HOLD_GRAMMAR, parseHoldDuration } from './autorefresh/holds';

export interface InstallResult { name: string; revision: number; version: string; channel?: string; dangerous?: true; change: number }
export interface RevertResult { name: string; from: number; revision: number; change: number }
export interface RemoveResult { name: string; revision: number; purged: boolean; change: number }
export interface UnblockResult { name: string; unblocked: number[] }

export async function install(ops: DeviceOps, name: string, o: { channel?: string; revision?: number }): Promise<InstallResult> {
  const r = await ops.install(name, o);
  return { name, revision: r.revision, version: r.version, channel: r.channel, change: r.change.id };
}

export async function installDangerous(ops: DeviceOps, file: string, o: { devmode: boolean }): Promise<InstallResult> {
  const r = await ops.installDangerous(file, o);
  return { name: r.name, revision: r.revision, version: r.version, dangerous: true, change: r.change.id };
}

export function installLine(r: InstallResult): string {
  return r.dangerous ? `${r.name} ${r.version} (local revision ${r.revision}) installed; dangerous: not verified by the store`
    : `${r.name} ${r.version} (revision ${r.revision}) installed from ${r.channel}`;
}

export async function revert(ops: DeviceOps, name: string, revision?: number): Promise<RevertResult> {
  const r = await ops.revert(name, revision);
  return { name, from: r.from, revision: r.to, change: r.change.id };
}

export const revertLine = (r: RevertResult): string => `${r.name} reverted from revision ${r.from} to ${r.revision}`;

export async function remove(ops: DeviceOps, name: string, purge: boolean): Promise<RemoveResult> {
  const r = await ops.remove(name, { purge });
  return { name, revision: r.revision, purged: purge, change: r.change.id };
}

export const removeLine = (r: RemoveResult): string => `${r.name} removed${r.purged ? ' (data purged)' : ' (data kept for a later install)'}`;

export async function unblock(ops: DeviceOps, name: string, revision?: number): Promise<UnblockResult> {
  return { name, unblocked: await ops.unblock(name, revision) };
}

export function unblockLine(r: UnblockResult): string {
  return r.unblocked.length === 0 ? `${r.name} has no blocked revision`
    : `${r.name}: revision${r.unblocked.length > 1 ? 's' : ''} ${r.unblocked.join(', ')} unblocked`;
}

export interface HoldResult { held: string[] | 'all'; until: string }
export interface UnholdResult { unheld: string[] | 'all' }

/**
 * `refresh --hold[=VALUE] NAME...`: commander takes `--hold NAME` as the option's value, so a value that
 * is no duration is the first name. `value` true: no value (forever).
 */
export async function hold(ops: DeviceOps, value: string | true, names: string[]): Promise<HoldResult> {
  const duration = value === true ? FOREVER : parseHoldDuration(value);
  if (duration === null && !ops.device.state.app(value as string)) {
    throw new SkiffError('usage', `--hold takes ${HOLD_GRAMMAR}, and "${value as string}" is neither that nor an installed app`);
  }
  const apps = duration === null ? [value as string, ...names] : names;
  const until = await ops.hold(apps, duration ?? FOREVER);
  return { held: apps.length ? apps : 'all', until };
}

export const holdLine = (r: HoldResult): string =>
  `${r.held === 'all' ? 'every app' : r.held.join(', ')}: automatic refresh held ${r.until === FOREVER ? 'forever' : `until ${r.until}`}`;

export async function unhold(ops: DeviceOps, names: string[]): Promise<UnholdResult> {
  await ops.unhold(names);
  return { unheld: names.length ? names : 'all' };
}

export const unholdLine = (r: UnholdResult): string => `${r.unheld === 'all' ? 'every app' : r.unheld.join(', ')}: automatic refresh no longer held`;

/** Prints refresh outcomes: one line per app, a failed one on stderr like every other error; exit 1 if any failed. */
export function printRefresh(outcomes: RefreshOutcome[], json: boolean): void {
  if (json) process.stdout.write(JSON.stringify(outcomes, null, 2) + '\n');
  else if (outcomes.length === 0) process.stdout.write('All apps are up to date.\n');
  else for (const x of outcomes) (x.status === 'failed' ? process.stderr : process.stdout).write(`${x.status === 'failed' ? 'skiff: ' : ''}${x.message}\n`);
  if (outcomes.some((x) => x.status === 'failed')) process.exitCode = 1;
}
