import type { Db } from '../db';
import { nowIso } from '../db';
import { ALL_ARCHITECTURES, servedArchitectures, type Architecture } from '@skiff/bundle';

export interface AppRow { id: number; name: string; account_id: number; publisher: string; summary: string; created: string }
/** `architectures` is what the manifest declares: 'all' or a comma-separated list ('amd64,arm64'). */
export interface RevisionRow {
  app_id: number; revision: number; sha256: string; size: number; version: string; key_id: string; architectures: string; created: string;
  /** The bundle's manifest as JSON; null for a revision uploaded before the store kept it. */
  manifest: string | null;
}
export interface ChannelRow { channel: string; architecture: string; revision: number; version: string; released: string }

/** A revision's declared architectures as the API shows them: 'all' or a list. */
export function declaredOf(row: Pick<RevisionRow, 'architectures'>): 'all' | Architecture[] {
  return row.architectures === ALL_ARCHITECTURES ? ALL_ARCHITECTURES : servedArchitectures(row.architectures.split(','));
}

/** How a manifest's architectures are kept in a revision row. */
export function architecturesColumn(declared: 'all' | readonly string[]): string {
  return declared === ALL_ARCHITECTURES ? ALL_ARCHITECTURES : declared.join(',');
}

/** A LIKE pattern matching `query` anywhere, its wildcards taken literally. */
const like = (query: string) => `%${query.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
/** An FTS5 phrase: with the trigram tokenizer, the apps holding `query` anywhere (any case), a superset of `like`'s. */
const phrase = (query: string) => `"${query.replace(/"/g, '""')}"`;
/**
 * Past this many candidates a search reads the apps in name order instead (at 100,000 apps, sorting
 * 1,000 candidates costs about what walking to a page of dense matches does: bench/store-scale.mjs).
 */
const INDEXED_SEARCH_MAX_MATCHES = 1000;
/** Past this many candidates, counting them costs more than scanning every app (measured at 100,000 apps). */
const INDEXED_COUNT_MAX_MATCHES = 20_000;

/** Apps, their revisions and their channel map. */
export function appRepository(db: Db) {
  const insertApp = db.prepare('INSERT INTO apps (name, account_id, created) VALUES (?, ?, ?)');
  const appByName = db.prepare<[string], AppRow>(
    'SELECT apps.*, accounts.name AS publisher FROM apps JOIN accounts ON accounts.id = apps.account_id WHERE apps.name = ?');
  const appsOf = db.prepare<[number], AppRow>(
    'SELECT apps.*, accounts.name AS publisher FROM apps JOIN accounts ON accounts.id = apps.account_id WHERE account_id = ? ORDER BY apps.name');
  const setSummary = db.prepare('UPDATE apps SET summary = ? WHERE id = ?');
  const match = `apps.name LIKE ? ESCAPE '\\' OR apps.summary LIKE ? ESCAPE '\\'`;
  const indexed = 'apps.id IN (SELECT rowid FROM apps_search WHERE apps_search MATCH ?)';
  const scanSearch = db.prepare<[string, string, number, number], AppRow>(
    `SELECT apps.*, accounts.name AS publisher FROM apps JOIN accounts ON accounts.id = apps.account_id
     WHERE ${match} ORDER BY apps.name LIMIT ? OFFSET ?`);
  const indexedSearch = db.prepare<[string, string, string, number, number], AppRow>(
    `SELECT apps.*, accounts.name AS publisher FROM apps JOIN accounts ON accounts.id = apps.account_id
     WHERE ${indexed} AND (${match}) ORDER BY apps.name LIMIT ? OFFSET ?`);
  const scanCount = db.prepare<[string, string], number>(`SELECT count(*) FROM apps WHERE ${match}`).pluck();
  const indexedCount = db.prepare<[string, string, string], number>(`SELECT count(*) FROM apps WHERE ${indexed} AND (${match})`).pluck();
  const candidates = db.prepare<[string, number], number>(
    'SELECT count(*) FROM (SELECT rowid FROM apps_search WHERE apps_search MATCH ? LIMIT ?)').pluck();
  /** How many apps the trigram index offers for `query`, up to `max`; `max` when it cannot answer (under 3 characters). */
  const candidateCount = (query: string, max: number) => ([...query].length < 3 ? max : candidates.get(phrase(query), max)!);
  const recent = db.prepare<[string, number], AppRow & { updated: string }>(
    `SELECT apps.*, accounts.name AS publisher, max(c.released) AS updated FROM channels c
     JOIN apps ON apps.id = c.app_id JOIN accounts ON accounts.id = apps.account_id
     WHERE c.released >= ? GROUP BY apps.id ORDER BY updated DESC, apps.name LIMIT ?`);
  const latestReleases = db.prepare<[], { app_id: number; released: string }>('SELECT app_id, released FROM channels ORDER BY released DESC');
  const nextRev = db.prepare<[number], { next: number }>('SELECT coalesce(max(revision), 0) + 1 AS next FROM revisions WHERE app_id = ?');
  const insertRev = db.prepare('INSERT INTO revisions (app_id, revision, sha256, size, version, key_id, architectures, created, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const setManifest = db.prepare('UPDATE revisions SET manifest = ? WHERE app_id = ? AND revision = ?');
  const revBySha = db.prepare<[number, string], RevisionRow>('SELECT * FROM revisions WHERE app_id = ? AND sha256 = ?');
  const rev = db.prepare<[number, number], RevisionRow>('SELECT * FROM revisions WHERE app_id = ? AND revision = ?');
  const revs = db.prepare<[number], RevisionRow>('SELECT * FROM revisions WHERE app_id = ? ORDER BY revision');
  const blobUsed = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM revisions WHERE sha256 = ?');
  const allBlobs = db.prepare<[], { sha256: string }>('SELECT DISTINCT sha256 FROM revisions');
  const channels = db.prepare<[number], ChannelRow>(
    `SELECT c.channel, c.architecture, c.revision, r.version, c.released FROM channels c
     JOIN revisions r ON r.app_id = c.app_id AND r.revision = c.revision WHERE c.app_id = ?`);
  const upsertChannel = db.prepare(
    `INSERT INTO channels (app_id, channel, architecture, revision, released) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (app_id, channel, architecture) DO UPDATE SET revision = excluded.revision, released = excluded.released`);
  const deleteChannel = db.prepare('DELETE FROM channels WHERE app_id = ? AND channel = ?');
  const allApps = db.prepare<[], AppRow>(
    'SELECT apps.*, accounts.name AS publisher FROM apps JOIN accounts ON accounts.id = apps.account_id ORDER BY apps.id');
  const countApps = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM apps');

  return {
    create(name: string, accountId: number): number {
      return Number(insertApp.run(name, accountId, nowIso()).lastInsertRowid);
    },
    find: (name: string) => appByName.get(name),
    ownedBy: (accountId: number) => appsOf.all(accountId),
    setSummary: (appId: number, summary: string) => void setSummary.run(summary, appId),
    /**
     * Apps whose name or summary holds `query` (LIKE: ASCII letters in either case), by name: `limit` of them
     * from `offset`. Few candidates in the trigram index: those, checked and sorted; many: the apps in name
     * order until the page is full, which is short where matches are dense.
     */
    search(query: string, limit: number, offset = 0): AppRow[] {
      if (candidateCount(query, INDEXED_SEARCH_MAX_MATCHES) < INDEXED_SEARCH_MAX_MATCHES) {
        return indexedSearch.all(phrase(query), like(query), like(query), limit, offset);
      }
      return scanSearch.all(like(query), like(query), limit, offset);
    },
    /** How many apps `search` finds in all. */
    searchCount(query: string): number {
      if (candidateCount(query, INDEXED_COUNT_MAX_MATCHES) < INDEXED_COUNT_MAX_MATCHES) return indexedCount.get(phrase(query), like(query), like(query))!;
      return scanCount.get(like(query), like(query))!;
    },
    /** Apps with an open channel, the most recently released first. */
    recentlyUpdated(limit: number) {
      // Every app of the answer was released at or after the release that brings the `limit`-th app into view.
      const seen = new Set<number>();
      let since = '';
      for (const row of latestReleases.iterate()) {
        seen.add(row.app_id);
        if (seen.size === limit) { since = row.released; break; }
      }
      return recent.all(since, limit);
    },
    count: () => countApps.get()!.n,
    all: () => allApps.all(),
    nextRevision: (appId: number) => nextRev.get(appId)!.next,
    addRevision(r: Omit<RevisionRow, 'created' | 'manifest'> & { manifest?: string | null }): RevisionRow {
      const created = nowIso();
      const manifest = r.manifest ?? null;
      insertRev.run(r.app_id, r.revision, r.sha256, r.size, r.version, r.key_id, r.architectures, created, manifest);
      return { ...r, created, manifest };
    },
    setManifest: (appId: number, revision: number, manifest: string) => void setManifest.run(manifest, appId, revision),
    revisionBySha: (appId: number, sha: string) => revBySha.get(appId, sha),
    revision: (appId: number, revision: number) => rev.get(appId, revision),
    revisions: (appId: number) => revs.all(appId),
    isBlobReferenced: (sha: string) => blobUsed.get(sha)!.n > 0,
    referencedBlobs: () => new Set(allBlobs.all().map((r) => r.sha256)),
    channels: (appId: number) => channels.all(appId),
    /** Points `channel` at `revision` for each of `architectures`, leaving the others as they were. */
    setChannel(appId: number, channel: string, architectures: readonly string[], revision: number): void {
      const released = nowIso();
      for (const arch of architectures) upsertChannel.run(appId, channel, arch, revision, released);
    },
    closeChannel: (appId: number, channel: string) => deleteChannel.run(appId, channel).changes > 0,
  };
}
export type AppRepository = ReturnType<typeof appRepository>;
