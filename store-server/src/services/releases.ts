import type { StoreContext } from '../context';
import type { AccountRow } from '../repositories/accounts';
import type { AppRow } from '../repositories/apps';
import type { AppService } from './apps';
import { channelName, compareChannels, parseChannel } from '../channel';
import { NotFoundError } from '../errors';
import type { ChannelMapDocument, CommitReport } from '../tuf/repository';
import { join } from 'node:path';

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
export function releaseService(ctx: StoreContext, apps: AppService) {
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
      const channel = channelName(parseChannel(channelText));
      const app = apps.owned(account, name);
      const rev = ctx.apps.revision(app.id, revision);
      if (!rev) throw new NotFoundError(`"${name}" has no revision ${revision}`, 'revision-not-found');
      const report = ctx.db.transaction(() => {
        ctx.apps.setChannel(app.id, channel, revision);
        return ctx.tuf.publishApp(channelMap(app), [{
          name: app.name, revision, sha256: rev.sha256, size: rev.size, version: rev.version,
          publisher: app.publisher, blobPath: join(ctx.paths.blobs, rev.sha256),
        }]);
      }).immediate();
      return result(app, channel, revision, report);
    },
    close(account: AccountRow, name: string, channelText: string): ReleaseResult {
      const channel = channelName(parseChannel(channelText));
      const app = apps.owned(account, name);
      const report = ctx.db.transaction(() => {
        if (!ctx.apps.closeChannel(app.id, channel)) throw new NotFoundError(`channel ${channel} of "${name}" is not open`, 'channel-not-open');
        return ctx.tuf.publishApp(channelMap(app), []);
      }).immediate();
      return result(app, channel, null, report);
    },
    /** Re-signs metadata close to expiry (called by the server's timer). */
    refreshExpiring: (now?: Date) => ctx.tuf.refreshExpiring(now),
  };
}
export type ReleaseService = ReturnType<typeof releaseService>;
