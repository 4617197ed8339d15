import type { StoreContext } from '../context';
import type { AccountRow } from '../repositories/accounts';
import { declaredOf, type AppRow } from '../repositories/apps';
import { ARCHITECTURES, appNameProblem, compareChannels, type Architecture } from '@skiff/bundle';
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

/** Name registration, ownership checks, app info and search. */
export function appService(ctx: StoreContext) {
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
      const rows = ctx.apps.channels(app.id).sort((a, b) => compareChannels(a.channel, b.channel));
      const architectures: AppInfo['architectures'] = {};
      for (const arch of ARCHITECTURES) {
        for (const c of rows) if (c.architecture === arch) (architectures[arch] ??= {})[c.channel] = { revision: c.revision, version: c.version, released: c.released };
      }
      const channels: Record<string, ChannelInfo> = {};
      for (const c of rows) {
        if (channels[c.channel] || !ARCHITECTURES.every((a) => architectures[a]?.[c.channel]?.revision === c.revision)) continue;
        channels[c.channel] = { revision: c.revision, version: c.version, released: c.released };
      }
      const revisions = ctx.apps.revisions(app.id).map((r) => ({
        revision: r.revision, version: r.version, size: r.size, sha256: r.sha256, architectures: declaredOf(r), created: r.created,
      }));
      return { name: app.name, publisher: app.publisher, summary: app.summary, created: app.created, channels, architectures, revisions };
    },
    search(query: string) {
      return ctx.apps.search(query, ctx.settings.maxSearchResults).map((a) => {
        const stable = ctx.apps.channels(a.id).find((c) => c.channel === 'latest/stable');
        return { name: a.name, publisher: a.publisher, summary: a.summary, ...(stable ? { version: stable.version, revision: stable.revision } : {}) };
      });
    },
    ownedBy: (account: AccountRow) => ctx.apps.ownedBy(account.id).map((a) => ({ name: a.name, summary: a.summary })),
  };
}
export type AppService = ReturnType<typeof appService>;
