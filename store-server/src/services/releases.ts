import type { StoreContext } from '../context';
import type { AccountRow } from '../repositories/accounts';
import { declaredOf, type AppRow } from '../repositories/apps';
import type { AppService } from './apps';
import {
  ARCHITECTURES, ChannelInvalidError, compareChannels, normalizeChannel, servedArchitectures, sha256Hex,
  type Architecture, type ChannelMapDocument, type ChannelMapEntry,
} from '@skiff/bundle';
import type { DeltaService } from '../deltas/service';
import { BadRequestError, NotFoundError } from '../errors';
import { channelMapBytes, type BundleTarget, type CommitReport } from '../tuf/repository';
import { join } from 'node:path';

/** A channel as the store keeps it; one breaking the grammar is a 400 with the grammar's own code and message. */
function channelOf(text: string): string {
  try {
    return normalizeChannel(text);
  } catch (err) {
    if (err instanceof ChannelInvalidError) throw new BadRequestError(err.message, err.code);
    throw err;
  }
}

export interface ReleaseResult {
  name: string;
  channel: string;
  revision: number | null;
  /** The architectures the release set (those of the revision; every architecture when closing). */
  released: Architecture[];
  channels: ChannelMapDocument['channels'];
  architectures: NonNullable<ChannelMapDocument['architectures']>;
  /** What the TUF repository rewrote (empty when nothing changed). */
  metadata: { files: string[]; bytes: number; snapshotVersion: number; timestampVersion: number };
}

/**
 * Releases and closes channels. Each runs synchronously inside one immediate SQLite transaction that
 * also writes the TUF metadata: releases are serialized, and a failed write leaves no row behind.
 */
export function releaseService(ctx: StoreContext, apps: AppService, deltas?: DeltaService) {
  /** The signed document: per architecture, and the channels every architecture shares for devices from before. */
  const channelMap = (app: AppRow): ChannelMapDocument => {
    const rows = ctx.apps.channels(app.id);
    const names = [...new Set(rows.map((r) => r.channel))].sort(compareChannels);
    const architectures: NonNullable<ChannelMapDocument['architectures']> = {};
    for (const arch of ARCHITECTURES) {
      for (const channel of names) {
        const row = rows.find((r) => r.channel === channel && r.architecture === arch);
        if (row) (architectures[arch] ??= {})[channel] = { revision: row.revision, version: row.version };
      }
    }
    const channels: Record<string, ChannelMapEntry> = {};
    for (const channel of names) {
      const entries = ARCHITECTURES.map((a) => architectures[a]?.[channel]);
      const first = entries[0];
      if (first && entries.every((e) => e?.revision === first.revision)) channels[channel] = first;
    }
    return { name: app.name, channels, architectures };
  };
  const bundleOf = (app: AppRow, revision: number): BundleTarget => {
    const rev = ctx.apps.revision(app.id, revision)!;
    return { name: app.name, revision, sha256: rev.sha256, size: rev.size, version: rev.version, publisher: app.publisher, blobPath: join(ctx.paths.blobs, rev.sha256) };
  };
  const result = (app: AppRow, channel: string, revision: number | null, released: Architecture[], report: CommitReport): ReleaseResult => {
    const doc = channelMap(app);
    return {
      name: app.name, channel, revision, released, channels: doc.channels, architectures: doc.architectures ?? {},
      metadata: { files: report.files.map((f) => f.name), bytes: report.metadataBytes, snapshotVersion: report.snapshotVersion, timestampVersion: report.timestampVersion },
    };
  };

  return {
    channelMap,
    /** Points the channel at the revision for each architecture the revision has ('all': every one). */
    release(account: AccountRow, name: string, revision: number, channelText: string): ReleaseResult {
      const channel = channelOf(channelText);
      const app = apps.owned(account, name);
      const rev = ctx.apps.revision(app.id, revision);
      if (!rev) throw new NotFoundError(`"${name}" has no revision ${revision}`, 'revision-not-found');
      const archs = servedArchitectures(declaredOf(rev));
      // The revision devices of this build's architecture follow in the channel now: the delta source they are most likely to have.
      const previous = ctx.apps.channels(app.id).find((c) => c.channel === channel && c.architecture === archs[0])?.revision;
      const report = ctx.db.transaction(() => {
        ctx.apps.setChannel(app.id, channel, archs, revision);
        // Queued with the release: a crash cannot leave a release whose deltas were never asked for.
        deltas?.queue(app, revision, previous);
        return ctx.tuf.publishApp(channelMap(app), [bundleOf(app, revision)]);
      }).immediate();
      deltas?.start();
      return result(app, channel, revision, archs, report);
    },
    close(account: AccountRow, name: string, channelText: string): ReleaseResult {
      const channel = channelOf(channelText);
      const app = apps.owned(account, name);
      const report = ctx.db.transaction(() => {
        if (!ctx.apps.closeChannel(app.id, channel)) throw new NotFoundError(`channel ${channel} of "${name}" is not open`, 'channel-not-open');
        return ctx.tuf.publishApp(channelMap(app), []);
      }).immediate();
      return result(app, channel, null, [...ARCHITECTURES], report);
    },
    /**
     * Brings the signed channel maps in line with the database, which is the source of truth. A crash
     * after the timestamp's rename but before the SQLite commit leaves a release signed but not
     * recorded; at startup it is replaced by a new version showing what the database holds. A map
     * signed before architectures is re-signed here in the new format (its `channels` unchanged).
     */
    reconcile(now?: Date): { apps: string[]; report: CommitReport | null } {
      const entries: Parameters<typeof ctx.tuf.publishApps>[0] = [];
      for (const app of ctx.apps.all()) {
        const doc = channelMap(app);
        const signed = ctx.tuf.channelMapSha256(app.name);
        const expected = sha256Hex(channelMapBytes(doc));
        if (signed === expected || (signed === undefined && Object.keys(doc.architectures ?? {}).length === 0)) continue;
        const revisions = new Set(Object.values(doc.architectures ?? {}).flatMap((chs) => Object.values(chs).map((e) => e.revision)));
        entries.push({ channelMap: doc, bundles: [...revisions].map((r) => bundleOf(app, r)) });
      }
      return { apps: entries.map((e) => e.channelMap.name), report: entries.length ? ctx.tuf.publishApps(entries, now) : null };
    },
    /** Re-signs metadata close to expiry (called by the server's timer). */
    refreshExpiring: (now?: Date) => ctx.tuf.refreshExpiring(now),
  };
}
export type ReleaseService = ReturnType<typeof releaseService>;
