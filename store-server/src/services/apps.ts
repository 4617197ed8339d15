import type { StoreContext } from '../context';
import type { AccountRow } from '../repositories/accounts';
import type { AppRow } from '../repositories/apps';
import { join } from 'node:path';
import { appNameProblem, compareChannels, readBundleManifest, type Manifest } from '@skiff/bundle';
import { BadRequestError, ConflictError, ForbiddenError, LimitError, NotFoundError } from '../errors';

export interface ChannelInfo { revision: number; version: string; released: string }
export interface RevisionInfo { revision: number; version: string; size: number; sha256: string; created: string }
export interface AppInfo {
  name: string; publisher: string; summary: string; created: string;
  channels: Record<string, ChannelInfo>; revisions: RevisionInfo[];
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
    info(name: string): AppInfo {
      const app = find(name);
      const channels: Record<string, ChannelInfo> = {};
      for (const c of ctx.apps.channels(app.id).sort((a, b) => compareChannels(a.channel, b.channel))) {
        channels[c.channel] = { revision: c.revision, version: c.version, released: c.released };
      }
      const revisions = ctx.apps.revisions(app.id).map((r) => ({ revision: r.revision, version: r.version, size: r.size, sha256: r.sha256, created: r.created }));
      return { name: app.name, publisher: app.publisher, summary: app.summary, created: app.created, channels, revisions };
    },
    search: (query: string): SearchResult[] => ctx.apps.search(query, ctx.settings.maxSearchResults).map(searchResult),
    /** Page `page` (from 1) of a search, `searchPageSize` results each, and how many match in all. */
    searchPage(query: string, page: number): { results: SearchResult[]; total: number } {
      const size = ctx.settings.searchPageSize;
      return { results: ctx.apps.search(query, size, (page - 1) * size).map(searchResult), total: ctx.apps.searchCount(query) };
    },
    /** Apps with an open channel, the most recently released first. */
    recentlyUpdated: (limit: number) => ctx.apps.recentlyUpdated(limit).map((a) => ({ ...searchResult(a), updated: a.updated })),
    /** The manifest of a revision: kept since its upload, or read once from its blob for one uploaded before the store kept it. */
    async manifest(app: AppRow, revision: number): Promise<Manifest> {
      const rev = ctx.apps.revision(app.id, revision);
      if (!rev) throw new NotFoundError(`"${app.name}" has no revision ${revision}`, 'revision-not-found');
      if (rev.manifest !== null) return JSON.parse(rev.manifest) as Manifest;
      const { manifest } = await readBundleManifest(join(ctx.paths.blobs, rev.sha256));
      ctx.apps.setManifest(app.id, revision, JSON.stringify(manifest));
      return manifest;
    },
    ownedBy: (account: AccountRow) => ctx.apps.ownedBy(account.id).map((a) => ({ name: a.name, summary: a.summary })),
  };
}
export type AppService = ReturnType<typeof appService>;
