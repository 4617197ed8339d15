// Migration 4 (indexes and the trigram search index) upgrades a store made before it, and search finds
// exactly what the LIKE scan found before: the same apps, in the same order, with the same totals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../src/db';
import { appRepository } from '../src/repositories/apps';

/** Search as it was before the index: every app scanned with LIKE (the reference). */
function scanned(db: Db, query: string): string[] {
  const like = `%${query.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
  return (db.prepare(`SELECT name FROM apps WHERE name LIKE ? ESCAPE '\\' OR summary LIKE ? ESCAPE '\\' ORDER BY name`).pluck().all(like, like)) as string[];
}

/** `count` apps: names app-00000…, summaries with one of a few words, some in capitals, accents, LIKE's wildcards and quotes. */
function addApps(db: Db, from: number, count: number): void {
  const words = ['Editor', 'player', 'café', 'CAFÉ', '100% pure', 'snake_case', 'say "hi"', 'viewer'];
  const insert = db.prepare("INSERT INTO apps (name, account_id, summary, created) VALUES (?, 1, ?, '2026-01-01T00:00:00Z')");
  db.transaction(() => {
    for (let i = from; i < from + count; i++) insert.run(`app-${String(i).padStart(5, '0')}`, `The ${words[i % words.length]} number ${i}`);
  })();
}

const QUERIES = ['', 'ed', 'editor', 'EDITOR', 'café', 'CAF', 'é', 'É', '100%', '0%', 'e_c', '_', '"hi"', 'say "', 'app-0001', 'app-00042', 'number 7', 'zzzz', 'app-', 'The'];

test('migration 4 indexes a store made before it, and search answers as the LIKE scan did (results, order, totals, pages)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-search-db-'));
  try {
    const path = join(dir, 'store.db');
    const old = openDatabase(path, { create: true, migrations: 3 });
    old.exec("INSERT INTO accounts VALUES (1, 'alice', 'x', '2026-01-01T00:00:00Z')");
    // More apps than the index's cut-offs (1,000 to list, 20,000 to count): both ways of answering run.
    addApps(old, 0, 24_000);
    old.close();

    const db = openDatabase(path);
    try {
      // The migration ran (its number depends on the migrations merged before it): its index and table exist.
      const names = db.prepare("SELECT name FROM sqlite_master WHERE name IN ('apps_account', 'revisions_sha256', 'channels_released', 'apps_search')").pluck().all();
      assert.deepEqual([...names].sort(), ['apps_account', 'apps_search', 'channels_released', 'revisions_sha256']);
      // Apps added and summaries changed after the migration are found too (the triggers).
      addApps(db, 24_000, 10);
      db.prepare("UPDATE apps SET summary = 'now a Mailer' WHERE name = 'app-00003'").run();
      const apps = appRepository(db);
      for (const q of [...QUERIES, 'mailer']) {
        const expected = scanned(db, q);
        assert.equal(apps.searchCount(q), expected.length, `count of ${JSON.stringify(q)}`);
        assert.deepEqual(apps.search(q, 50).map((a) => a.name), expected.slice(0, 50), `first page of ${JSON.stringify(q)}`);
        const at = Math.max(0, expected.length - 30);
        assert.deepEqual(apps.search(q, 20, at).map((a) => a.name), expected.slice(at, at + 20), `page at ${at} of ${JSON.stringify(q)}`);
      }
      assert.deepEqual(apps.search('mailer', 10).map((a) => a.name), ['app-00003']);
      assert.deepEqual(apps.search('café', 3).map((a) => a.summary), ['The café number 2', 'The café number 10', 'The café number 18']);
    } finally { db.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the home page lists the apps released last, as the grouped scan did, ties by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-recent-db-'));
  try {
    const db = openDatabase(join(dir, 'store.db'), { create: true });
    try {
      db.exec("INSERT INTO accounts VALUES (1, 'alice', 'x', '2026-01-01T00:00:00Z')");
      addApps(db, 0, 40);
      const rev = db.prepare("INSERT INTO revisions (app_id, revision, sha256, size, version, key_id, created) VALUES (?, 1, ?, 1, '1', 'k', '')");
      const channel = db.prepare('INSERT INTO channels (app_id, channel, architecture, revision, released) VALUES (?, ?, ?, 1, ?)');
      db.transaction(() => {
        for (let id = 1; id <= 40; id++) {
          rev.run(id, String(id).padStart(64, '0'));
          // Many ties (a release every 4 apps moves the clock), and some apps with a later release on a second channel.
          channel.run(id, 'latest/stable', 'amd64', `2026-01-01T00:00:${String(Math.floor(id / 4)).padStart(2, '0')}Z`);
          if (id % 7 === 0) channel.run(id, 'latest/beta', 'arm64', `2026-01-01T00:00:${String(30 + (id % 3)).padStart(2, '0')}Z`);
        }
      })();
      const grouped = db.prepare(`SELECT apps.name, max(c.released) AS updated FROM channels c JOIN apps ON apps.id = c.app_id
        GROUP BY apps.id ORDER BY updated DESC, apps.name LIMIT ?`);
      const apps = appRepository(db);
      for (const limit of [1, 5, 6, 12, 39, 40, 50]) {
        assert.deepEqual(apps.recentlyUpdated(limit).map((a) => ({ name: a.name, updated: a.updated })), grouped.all(limit), `limit ${limit}`);
      }
    } finally { db.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
