import Database from 'better-sqlite3';
import { ARCHITECTURES } from '@skiff/bundle';
import { DEFAULT_SETTINGS, type StoreSettings } from './settings';

export type Db = Database.Database;

/** Schema migrations, applied in order; `user_version` records how many ran. */
const MIGRATIONS: string[] = [
  `CREATE TABLE accounts (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     token_sha256 TEXT NOT NULL UNIQUE,
     created TEXT NOT NULL
   );
   CREATE TABLE publisher_keys (
     key_id TEXT PRIMARY KEY,
     account_id INTEGER NOT NULL REFERENCES accounts(id),
     name TEXT NOT NULL,
     public_hex TEXT NOT NULL UNIQUE,
     created TEXT NOT NULL,
     UNIQUE (account_id, name)
   );
   CREATE TABLE apps (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     account_id INTEGER NOT NULL REFERENCES accounts(id),
     summary TEXT NOT NULL DEFAULT '',
     created TEXT NOT NULL
   );
   CREATE TABLE revisions (
     app_id INTEGER NOT NULL REFERENCES apps(id),
     revision INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     size INTEGER NOT NULL,
     version TEXT NOT NULL,
     key_id TEXT NOT NULL,
     created TEXT NOT NULL,
     PRIMARY KEY (app_id, revision),
     UNIQUE (app_id, sha256)
   );
   CREATE TABLE channels (
     app_id INTEGER NOT NULL REFERENCES apps(id),
     channel TEXT NOT NULL,
     revision INTEGER NOT NULL,
     released TEXT NOT NULL,
     PRIMARY KEY (app_id, channel),
     FOREIGN KEY (app_id, revision) REFERENCES revisions(app_id, revision)
   );`,
  // The manifest of each revision (JSON), for the store's pages; NULL for revisions uploaded before (read from the blob when first shown).
  `ALTER TABLE revisions ADD COLUMN manifest TEXT;
   CREATE INDEX channels_released ON channels (released);`,
  // Architectures: a revision records what its manifest declares ('all' or 'amd64,arm64'), and a channel
  // points at a revision per architecture. Channels released before are 'all' revisions: one row each.
  `ALTER TABLE revisions ADD COLUMN architectures TEXT NOT NULL DEFAULT 'all';
   CREATE TABLE channels_by_arch (
     app_id INTEGER NOT NULL REFERENCES apps(id),
     channel TEXT NOT NULL,
     architecture TEXT NOT NULL,
     revision INTEGER NOT NULL,
     released TEXT NOT NULL,
     PRIMARY KEY (app_id, channel, architecture),
     FOREIGN KEY (app_id, revision) REFERENCES revisions(app_id, revision)
   );
   INSERT INTO channels_by_arch (app_id, channel, architecture, revision, released)
     SELECT c.app_id, c.channel, a.value, c.revision, c.released FROM channels c, json_each('${JSON.stringify(ARCHITECTURES)}') a;
   DROP TABLE channels;
   ALTER TABLE channels_by_arch RENAME TO channels;`,
  // Delta jobs queued by releases, kept until done so a restart runs them again (docs/deltas.md); `attempts` counts runs started.
  `CREATE TABLE delta_jobs (
     id INTEGER PRIMARY KEY,
     app_id INTEGER NOT NULL REFERENCES apps(id),
     source INTEGER NOT NULL,
     target INTEGER NOT NULL,
     queued TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     UNIQUE (app_id, source, target)
   );`,
  // At 100,000 apps (bench/store-scale.mjs): an account's apps, a blob's revisions and the home page's latest
  // releases were full scans (the released index of migration 2 went with the old channels table); search
  // by any substring of a name or summary goes through a trigram index, kept current by triggers.
  `CREATE INDEX apps_account ON apps (account_id, name);
   CREATE INDEX revisions_sha256 ON revisions (sha256);
   CREATE INDEX channels_released ON channels (released);
   CREATE VIRTUAL TABLE apps_search USING fts5 (name, summary, content = 'apps', content_rowid = 'id', tokenize = 'trigram');
   INSERT INTO apps_search (apps_search) VALUES ('rebuild');
   CREATE TRIGGER apps_search_insert AFTER INSERT ON apps BEGIN
     INSERT INTO apps_search (rowid, name, summary) VALUES (new.id, new.name, new.summary);
   END;
   CREATE TRIGGER apps_search_delete AFTER DELETE ON apps BEGIN
     INSERT INTO apps_search (apps_search, rowid, name, summary) VALUES ('delete', old.id, old.name, old.summary);
   END;
   CREATE TRIGGER apps_search_update AFTER UPDATE OF name, summary ON apps BEGIN
     INSERT INTO apps_search (apps_search, rowid, name, summary) VALUES ('delete', old.id, old.name, old.summary);
     INSERT INTO apps_search (rowid, name, summary) VALUES (new.id, new.name, new.summary);
   END;`,
];

type WalSettings = Pick<StoreSettings, 'walAutocheckpointPages' | 'walSizeLimitBytes'>;

/** Opens the store database in WAL mode and brings its schema up to date (tests may stop after `migrations`). */
export function openDatabase(path: string, opts: { create?: boolean; migrations?: number; settings?: WalSettings } = {}): Db {
  const { walAutocheckpointPages, walSizeLimitBytes } = opts.settings ?? DEFAULT_SETTINGS;
  const db = new Database(path, { fileMustExist: !opts.create });
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL stays consistent on power loss and may lose the last commits, as a crash before commit would (startup reconciles the signed maps).
  db.pragma('synchronous = NORMAL');
  db.pragma(`wal_autocheckpoint = ${walAutocheckpointPages}`);
  // A checkpoint that empties the WAL truncates it to this size: one big write does not leave a big file behind.
  db.pragma(`journal_size_limit = ${walSizeLimitBytes}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const done = db.pragma('user_version', { simple: true }) as number;
  for (let i = done; i < (opts.migrations ?? MIGRATIONS.length); i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return db;
}

/** Rows written through this connection since it opened: moves with every change the store makes. */
export function changeCounter(db: Db): () => number {
  const changes = db.prepare('SELECT total_changes()').pluck();
  return () => changes.get() as number;
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
