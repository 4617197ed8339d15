import type { StoreContext } from '../context';
import type { AccountRow } from '../repositories/accounts';
import type { AppRow } from '../repositories/apps';
import type { AppService } from './apps';
import type { DeltaService } from '../deltas/service';
import { ChannelInvalidError, compareChannels, normalizeChannel, sha256Hex, type ChannelMapDocument } from '@skiff/bundle';
import { BadRequestError, NotFoundError } from '../errors';
import { channelMapBytes, type CommitReport } from '../tuf/repository';
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
  channels: ChannelMapDocument['channels'];
  /** What the TUF repository rewrote (empty when nothing changed). */
  metadata: { files: string[]; bytes: number; snapshotVersion: number; timestampVersion: number };
}

/**
 * Releases and closes channels. Each runs synchronously inside one immediate SQLite transaction that
 * also writes the TUF metadata: releases are serialized, and a failed write leaves no row behind.
 */
export function releaseService(ctx: StoreContext, apps: AppService, deltas?: DeltaService) {
  const channelMap = (app: AppRow): ChannelMapDocument => {
    const channels: ChannelMapDocument['channels'] = {};
    for (const c of ctx.apps.channels(app.id).sort((a, b) => compareChannels(a.channel, b.channel))) {
      channels[c.channel] = { revision: c.revision, version: c.version };
    }
    return { name: app.name, channels };
  };
  const result = (app: AppRow, channel: string, revision: number | null, report: CommitReport): ReleaseResult => ({
    name: app.name, channel, revision, channels: channelMap(app).channels,
    metadata: { files: report.files.map((f) => f.name), bytes: report.metadataBytes, snapshotVersion: report.snapshotVersion, timestampVersion: report.timestampVersion },
  });

  return {
    channelMap,
    release(account: AccountRow, name: string, revision: number, channelText: string): ReleaseResult {
      const channel = channelOf(channelText);
      const app = apps.owned(account, name);
      const rev = ctx.apps.revision(app.id, revision);
      if (!rev) throw new NotFoundError(`"${name}" has no revision ${revision}`, 'revision-not-found');
      const previous = ctx.apps.channels(app.id).find((c) => c.channel === channel)?.revision;
      const report = ctx.db.transaction(() => {
        ctx.apps.setChannel(app.id, channel, revision);
        return ctx.tuf.publishApp(channelMap(app), [{
          name: app.name, revision, sha256: rev.sha256, size: rev.size, version: rev.version,
          publisher: app.publisher, blobPath: join(ctx.paths.blobs, rev.sha256),
        }]);
      }).immediate();
      deltas?.schedule(app, revision, previous);
      return result(app, channel, revision, report);
    },
    close(account: AccountRow, name: string, channelText: string): ReleaseResult {
      const channel = channelOf(channelText);
      const app = apps.owned(account, name);
      const report = ctx.db.transaction(() => {
        if (!ctx.apps.closeChannel(app.id, channel)) throw new NotFoundError(`channel ${channel} of "${name}" is not open`, 'channel-not-open');
        return ctx.tuf.publishApp(channelMap(app), []);
      }).immediate();
      return result(app, channel, null, report);
    },
    /**
     * Brings the signed channel maps in line with the database, which is the source of truth. A crash
     * after the timestamp's rename but before the SQLite commit leaves a release signed but not
     * recorded; at startup it is replaced by a new version showing what the database holds.
     */
    reconcile(now?: Date): { apps: string[]; report: CommitReport | null } {
      const entries: Parameters<typeof ctx.tuf.publishApps>[0] = [];
      for (const app of ctx.apps.all()) {
        const doc = channelMap(app);
        const signed = ctx.tuf.channelMapSha256(app.name);
        const expected = sha256Hex(channelMapBytes(doc));
        if (signed === expected || (signed === undefined && Object.keys(doc.channels).length === 0)) continue;
        const bundles = Object.values(doc.channels).map(({ revision }) => {
          const rev = ctx.apps.revision(app.id, revision)!;
          return { name: app.name, revision, sha256: rev.sha256, size: rev.size, version: rev.version, publisher: app.publisher, blobPath: join(ctx.paths.blobs, rev.sha256) };
        });
        entries.push({ channelMap: doc, bundles });
      }
      return { apps: entries.map((e) => e.channelMap.name), report: entries.length ? ctx.tuf.publishApps(entries, now) : null };
    },
    /** Re-signs metadata close to expiry (called by the server's timer). */
    refreshExpiring: (now?: Date) => ctx.tuf.refreshExpiring(now),
  };
}
export type ReleaseService = ReturnType<typeof releaseService>;
