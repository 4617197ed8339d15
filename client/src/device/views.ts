// What list, info, changes and tasks show: plain objects for --json, and lines for people.
import type { Device } from './device';
import type { ChangeRunner } from './changes';
import type { DeviceEnv } from './env';
import { architecturesIn, channelsFor, compareChannels, type Architecture, type ChannelMapDocument } from '@skiff/bundle';
import { NotInstalledError } from './errors';
import { formatTable } from '../format';
import { DATA_MAX_SIZE } from './config';
import { formatSize, volumeUsage } from './data-volume';
import { RefreshRecords } from './autorefresh/records';

export interface AppListing {
  name: string; revision: number; version: string; channel: string;
  current: boolean; dangerous: boolean; devmode: boolean; blocked: boolean; summary: string;
  /** Held from automatic refresh (by its own hold or refresh.hold). */
  held: boolean;
}

export function listApps(device: Device, all: boolean, now = new Date()): AppListing[] {
  const { state } = device;
  const records = new RefreshRecords(state);
  return state.apps().flatMap((a) => state.revisions(a.name)
    .filter((r) => all || r.rev === a.current)
    .sort((x, y) => x.rev - y.rev)
    .map((r) => ({
      name: a.name, revision: r.rev, version: r.version, channel: a.channel,
      current: r.rev === a.current, dangerous: r.dangerous, devmode: r.devmode,
      blocked: state.isBlocked(a.name, r.rev), summary: r.manifest.summary,
      held: a.channel !== '' && records.holdOn(a.name, now) !== null,
    })));
}

export function formatList(rows: AppListing[]): string {
  if (rows.length === 0) return 'No apps installed.';
  return formatTable(['Name', 'Version', 'Rev', 'Tracking', 'Notes'], rows.map((r) => [
    r.name, r.version, String(r.revision), r.channel || '-',
    [r.dangerous && 'dangerous', r.devmode && 'devmode', !r.current && 'disabled', r.blocked && 'blocked', r.held && r.current && 'held'].filter(Boolean).join(',') || '-',
  ]));
}

export function appInfo(device: Device, name: string) {
  const { state } = device;
  const app = state.app(name);
  if (!app) throw new NotInstalledError(name);
  const cur = state.revision(name, app.current)!;
  return {
    name, revision: app.current, version: cur.version, channel: app.channel,
    dangerous: cur.dangerous, devmode: cur.devmode, summary: cur.manifest.summary,
    description: cur.manifest.description ?? '', apps: Object.keys(cur.manifest.apps ?? {}),
    installedAt: app.installed_at,
    revisions: state.revisions(name).map((r) => ({
      revision: r.rev, version: r.version, current: r.rev === app.current, dangerous: r.dangerous,
      sha256: r.sha256, size: r.size, installedAt: r.installed_at,
      /** Why refresh will not offer it (`skiff unblock` clears it), or null. */
      blocked: state.blockedRow(name, r.rev)?.reason ?? null,
    })),
    /** Every blocked revision, retained or not (a failed refresh's revision is not kept). */
    blocked: state.blocked(name).map((b) => ({ revision: b.rev, reason: b.reason, at: b.at })),
    grants: device.listGrants(name).map((g) => ({ plug: g.plug, granted: g.granted, auto: g.auto })),
    /** The hold on its automatic refresh (its own, or refresh.hold's for every app), or null. */
    held: app.channel === '' ? null : new RefreshRecords(state).holdOn(name, new Date()),
    /** The app's data volume in bytes (null: none mounted, e.g. data from before volumes). */
    data: volumeUsage(device, name),
  };
}

export function formatInfo(i: ReturnType<typeof appInfo>): string {
  return [
    `name:      ${i.name}`, `summary:   ${i.summary}`,
    `tracking:  ${i.channel || '- (installed from a local file)'}`,
    `installed: ${i.version} (revision ${i.revision})${i.dangerous ? ' dangerous' : ''}${i.devmode ? ' devmode' : ''}`,
    `apps:      ${i.apps.join(', ')}`,
    ...(i.held ? [`held:      automatic refresh until ${i.held.until}${i.held.scope === 'all' ? ' (refresh.hold)' : ''}`] : []),
    ...(i.data ? [`data:      ${(i.data.used / 1024 ** 2).toFixed(1)}M used of ${formatSize(i.data.size)} (${DATA_MAX_SIZE})`] : []),
    'revisions:', ...i.revisions.map((r) => `  ${r.current ? '*' : ' '} ${r.revision}  ${r.version}  ${r.size} bytes  ${r.installedAt}${r.blocked ? '  blocked' : ''}`),
    ...(i.blocked.length ? ['blocked (skiff unblock clears):', ...i.blocked.map((b) => `    ${b.revision}  ${b.reason}  since ${b.at}`)] : []),
    ...(i.grants.length ? ['plugs:', ...i.grants.map((g) => `    ${g.plug}  ${g.granted ? 'connected' : 'disconnected'}${g.auto ? ' (auto)' : ''}`)] : []),
  ].join('\n');
}

/** An app the device does not have: what its store offers for this device's architecture, and for which others. */
export function storeInfo(map: ChannelMapDocument, arch: Architecture) {
  return { name: map.name, installed: false, architecture: arch, channels: channelsFor(map, arch), architectures: architecturesIn(map) };
}

export function formatStoreInfo(info: ReturnType<typeof storeInfo>): string {
  const rows = Object.entries(info.channels).sort(([a], [b]) => compareChannels(a, b)).map(([c, e]) => [c, e.version, String(e.revision)]);
  return [`name:      ${info.name}`, `not installed; the store offers for ${info.architecture}:`,
    rows.length ? formatTable(['Channel', 'Version', 'Rev'], rows) : 'no open channel',
    `built for: ${info.architectures.join(', ') || 'none'}`].join('\n');
}

export function changeList(runner: ChangeRunner<DeviceEnv>) {
  return runner.changes().map((c) => ({ id: c.id, kind: c.kind, summary: c.summary, status: c.status, error: c.error, spawnTime: c.spawn_time, readyTime: c.ready_time }));
}

export function formatChanges(rows: ReturnType<typeof changeList>): string {
  if (rows.length === 0) return 'No changes.';
  return ['ID  Status   Spawn                     Summary', ...rows.map((c) =>
    `${String(c.id).padEnd(3)} ${c.status.padEnd(8)} ${c.spawnTime.padEnd(25)} ${c.summary}${c.error ? `  (${c.error})` : ''}`)].join('\n');
}

export function taskList(runner: ChangeRunner<DeviceEnv>, id: number) {
  const c = runner.change(id);
  return {
    id: c.id, kind: c.kind, summary: c.summary, status: c.status, error: c.error,
    tasks: runner.tasks(id).map((t) => ({ id: t.id, seq: t.seq, kind: t.kind, summary: t.summary, status: t.status,
      commitPoint: t.commit_point === 1, error: t.error, log: t.log ? t.log.trimEnd().split('\n') : [] })),
  };
}

export function formatTasks(v: ReturnType<typeof taskList>): string {
  return [`change ${v.id} (${v.status}): ${v.summary}`, ...v.tasks.map((t) =>
    `  ${t.status.padEnd(10)} ${t.summary}${t.commitPoint ? '  [commit point]' : ''}${t.error ? `  error: ${t.error}` : ''}`
    + t.log.map((l) => `\n             ${l}`).join(''))].join('\n');
}
