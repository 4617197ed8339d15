import type { StoreContext } from '../context';
import type { AccountRow } from '../repositories/accounts';
import { declaredOf, type AppRow, type RevisionRow } from '../repositories/apps';
import { join } from 'node:path';
import { ARCHITECTURES, appNameProblem, compareChannels, readBundleManifest, type Architecture, type Manifest } from '@skiff/bundle';
import { BadRequestError, ConflictError, ForbiddenError, LimitError, NotFoundError } from '../errors';

export interface ChannelInfo { revision: number; version: string; released: string }
export interface RevisionInfo { revision: number; version: string; size: number; sha256: string; architectures: 'all' | Architecture[]; created: string }
export interface AppInfo {
  name: string; publisher: string; summary: string; created: string;
  /** The channels whose revision every architecture shares (as the signed map's `channels`). */
  channels: Record<string, ChannelInfo>;
  /** Architecture → channel → revision: the channel map per architecture. */
  architectures: Partial<Record<Architecture, Record<string, ChannelInfo>>>;
  revisions: RevisionInfo[];
}

/** The bundle part's app-name rule, as the API answers: a malformed name is a bad request, a reserved one a conflict. */
function checkAppName(name: string): void {
  const problem = appNameProblem(name);
  if (!problem) return;
  throw problem.code === 'name-reserved' ? new ConflictError(problem.message, problem.code) : new BadRequestError(problem.message, problem.code);
}

export interface SearchResult { name: string; publisher: string; summary: string; version?: string; revision?: number }

/** Name registration, ownership checks, app info and search. */
export function appService(ctx: StoreContext) {
  const searchResult = (a: AppRow): SearchResult => {
    const stable = ctx.apps.channels(a.id).find((c) => c.channel === 'latest/stable');
    return { name: a.name, publisher: a.publisher, summary: a.summary, ...(stable ? { version: stable.version, revision: stable.revision } : {}) };
  };
  const find = (name: string): AppRow => {
    const app = ctx.apps.find(name);
    if (!app) throw new NotFoundError(`no app named "${name}"`, 'app-not-found');
    return app;
  };
  const infoOf = (app: AppRow): { info: AppInfo; rows: RevisionRow[] } => {
    const channelRows = ctx.apps.channels(app.id).sort((a, b) => compareChannels(a.channel, b.channel));
    const architectures: AppInfo['architectures'] = {};
    for (const arch of ARCHITECTURES) {
      for (const c of channelRows) if (c.architecture === arch) (architectures[arch] ??= {})[c.channel] = { revision: c.revision, version: c.version, released: c.released };
    }
    // The shared map: a channel whose revision is the same on every architecture (what old devices read).
    const channels: Record<string, ChannelInfo> = {};
    for (const c of channelRows) {
      if (channels[c.channel] || !ARCHITECTURES.every((a) => architectures[a]?.[c.channel]?.revision === c.revision)) continue;
      channels[c.channel] = { revision: c.revision, version: c.version, released: c.released };
    }
    const rows = ctx.apps.revisions(app.id);
    const revisions = rows.map((r) => ({
      revision: r.revision, version: r.version, size: r.size, sha256: r.sha256, architectures: declaredOf(r), created: r.created,
    }));
    return { info: { name: app.name, publisher: app.publisher, summary: app.summary, created: app.created, channels, architectures, revisions }, rows };
  };
  /** A revision's manifest: kept since its upload, or read once from its blob for one uploaded before the store kept it. */
  const manifestOf = async (app: AppRow, revision: number, row: RevisionRow | undefined): Promise<Manifest> => {
    if (!row) throw new NotFoundError(`"${app.name}" has no revision ${revision}`, 'revision-not-found');
    if (row.manifest !== null) return JSON.parse(row.manifest) as Manifest;
    const { manifest } = await readBundleManifest(join(ctx.paths.blobs, row.sha256));
    ctx.apps.setManifest(app.id, revision, JSON.stringify(manifest));
    row.manifest = JSON.stringify(manifest);
    return manifest;
  };
  return {
    register(account: AccountRow, name: string): AppRow {
      checkAppName(name);
      if (ctx.apps.find(name)) throw new ConflictError(`"${name}" is registered already`, 'name-taken');
      const owned = ctx.apps.ownedBy(account.id).length;
      if (owned >= ctx.settings.maxNamesPerAccount) {
        throw new LimitError(`account "${account.name}" has registered ${owned} names, the most allowed`, 'name-limit', 403);
      }
      ctx.apps.create(name, account.id);
      return find(name);
    },
    find,
    /** The app, if `account` owns it. */
    owned(account: AccountRow, name: string): AppRow {
      const app = find(name);
      if (app.account_id !== account.id) throw new ForbiddenError(`app "${name}" belongs to another publisher`);
      return app;
    },
    info: (name: string): AppInfo => infoOf(find(name)).info,
    /** App info and a reader of its revisions' manifests, from the same three queries as `info` (what the app's page shows). */
    infoWithManifests(name: string): { info: AppInfo; manifest(revision: number): Promise<Manifest> } {
      const app = find(name);
      const { info, rows } = infoOf(app);
      const byRevision = new Map(rows.map((r) => [r.revision, r]));
      const parsed = new Map<number, Promise<Manifest>>();
      const manifest = (revision: number) => {
        let m = parsed.get(revision);
        if (!m) parsed.set(revision, m = manifestOf(app, revision, byRevision.get(revision)));
        return m;
      };
      return { info, manifest };
    },
    search: (query: string): SearchResult[] => ctx.apps.search(query, ctx.settings.maxSearchResults).map(searchResult),
    /** Page `page` (from 1) of a search, `searchPageSize` results each, and how many match in all. */
    searchPage(query: string, page: number): { results: SearchResult[]; total: number } {
      const size = ctx.settings.searchPageSize;
      const offset = (page - 1) * size;
      const rows = ctx.apps.search(query, size, offset);
      // A first page that is not full holds every match: no second scan to count them.
      const total = offset === 0 && rows.length < size ? rows.length : ctx.apps.searchCount(query);
      return { results: rows.map(searchResult), total };
    },
    /** Apps with an open channel, the most recently released first. */
    recentlyUpdated: (limit: number) => ctx.apps.recentlyUpdated(limit).map((a) => ({ ...searchResult(a), updated: a.updated })),
    ownedBy: (account: AccountRow) => ctx.apps.ownedBy(account.id).map((a) => ({ name: a.name, summary: a.summary })),
  };
}
export type AppService = ReturnType<typeof appService>;
