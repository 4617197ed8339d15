import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Manifest } from '@skiff/bundle';
import { MIGRATIONS } from './schema';
import { SETTINGS, checkSetting } from './config';
import { StateError } from './errors';

/** First uid/gid handed to apps; each app gets its own, never reused for another name. */
export const APP_UID_BASE = 600000;
/** Milliseconds a statement waits for another process's write transaction before failing. */
export const BUSY_TIMEOUT_MS = 10_000;
/** state.db and its WAL files: read and written by root only. */
export const STATE_DB_MODE = 0o600;

export interface AppRow { name: string; channel: string; current: number; installed_at: string }
export interface RevisionRow {
  name: string; rev: number; version: string; sha256: string; size: number;
  dangerous: boolean; devmode: boolean; channel: string | null; manifest: Manifest; installed_at: string;
}
export interface BlockedRow { name: string; rev: number; reason: string; at: string }

interface RawRevision extends Omit<RevisionRow, 'dangerous' | 'devmode' | 'manifest'> { dangerous: number; devmode: number; manifest: string }

const now = (): string => new Date().toISOString();

/** The device's state database: installed apps, revisions, grants, config, changes and tasks. */
export class DeviceState {
  readonly db: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    // Root's alone (SQLite gives -wal and -shm the same mode): task logs hold hooks' output.
    closeSync(openSync(file, 'a', STATE_DB_MODE));
    this.db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    // A database made by an older skiff (0644) is closed to other users too.
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, STATE_DB_MODE);
    // FULL: a committed transition survives a power cut, which recovery relies on.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) throw new StateError(`state.db has schema ${version}, newer than this skiff (${MIGRATIONS.length})`);
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  }

  /** Runs fn in one IMMEDIATE transaction (takes the write lock up front, so no upgrade deadlock). */
  tx<T>(fn: () => T): T { return this.db.transaction(fn).immediate(); }

  close(): void { if (this.db.open) this.db.close(); }

  // --- apps and users

  app(name: string): AppRow | undefined {
    return this.db.prepare('SELECT * FROM apps WHERE name = ?').get(name) as AppRow | undefined;
  }
  apps(): AppRow[] { return this.db.prepare('SELECT * FROM apps ORDER BY name').all() as AppRow[]; }
  putApp(name: string, channel: string, current: number): void {
    this.db.prepare(`INSERT INTO apps (name, channel, current, installed_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET channel = excluded.channel, current = excluded.current`).run(name, channel, current, now());
  }
  deleteApp(name: string): void { this.db.prepare('DELETE FROM apps WHERE name = ?').run(name); }

  /** The app's own uid (= gid), allocated on first use from APP_UID_BASE. */
  uidOf(name: string): number {
    return this.tx(() => {
      const row = this.db.prepare('SELECT uid FROM users WHERE name = ?').get(name) as { uid: number } | undefined;
      if (row) return row.uid;
      const max = this.db.prepare('SELECT MAX(uid) AS m FROM users').get() as { m: number | null };
      const uid = max.m === null ? APP_UID_BASE : max.m + 1;
      this.db.prepare('INSERT INTO users (name, uid) VALUES (?, ?)').run(name, uid);
      return uid;
    });
  }

  // --- revisions

  private revFrom(r: RawRevision): RevisionRow {
    return { ...r, dangerous: r.dangerous === 1, devmode: r.devmode === 1, manifest: JSON.parse(r.manifest) as Manifest };
  }
  revision(name: string, rev: number): RevisionRow | undefined {
    const r = this.db.prepare('SELECT * FROM revisions WHERE name = ? AND rev = ?').get(name, rev) as RawRevision | undefined;
    return r && this.revFrom(r);
  }
  /** Retained revisions of an app, oldest first. */
  revisions(name: string): RevisionRow[] {
    return (this.db.prepare('SELECT * FROM revisions WHERE name = ? ORDER BY installed_at, rev').all(name) as RawRevision[]).map((r) => this.revFrom(r));
  }
  allRevisions(): RevisionRow[] {
    return (this.db.prepare('SELECT * FROM revisions ORDER BY name, installed_at, rev').all() as RawRevision[]).map((r) => this.revFrom(r));
  }
  putRevision(r: Omit<RevisionRow, 'installed_at'>): void {
    this.db.prepare(`INSERT INTO revisions (name, rev, version, sha256, size, dangerous, devmode, channel, manifest, installed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name, rev) DO NOTHING`)
      .run(r.name, r.rev, r.version, r.sha256, r.size, r.dangerous ? 1 : 0, r.devmode ? 1 : 0, r.channel, JSON.stringify(r.manifest), now());
  }
  deleteRevision(name: string, rev: number): void { this.db.prepare('DELETE FROM revisions WHERE name = ? AND rev = ?').run(name, rev); }
  /** Next local revision number for a dangerous (unsigned) bundle. */
  nextDangerousRevision(name: string): number {
    const row = this.db.prepare('SELECT MAX(rev) AS m FROM revisions WHERE name = ? AND dangerous = 1').get(name) as { m: number | null };
    return Math.max(row.m ?? 0, DANGEROUS_REVISION_BASE) + 1;
  }

  // --- blocked revisions

  isBlocked(name: string, rev: number): boolean { return this.blockedRow(name, rev) !== undefined; }
  blocked(name?: string): BlockedRow[] {
    return (name === undefined ? this.db.prepare('SELECT * FROM blocked ORDER BY name, rev').all()
      : this.db.prepare('SELECT * FROM blocked WHERE name = ? ORDER BY rev').all(name)) as BlockedRow[];
  }
  blockedRow(name: string, rev: number): BlockedRow | undefined {
    return this.db.prepare('SELECT * FROM blocked WHERE name = ? AND rev = ?').get(name, rev) as BlockedRow | undefined;
  }
  /** at: when the block was first made (an undo restores a block as it was). */
  block(name: string, rev: number, reason: string, at = now()): void {
    this.db.prepare('INSERT INTO blocked (name, rev, reason, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(name, rev, reason, at);
  }
  unblock(name: string, rev: number): void { this.db.prepare('DELETE FROM blocked WHERE name = ? AND rev = ?').run(name, rev); }
  unblockAll(name: string): void { this.db.prepare('DELETE FROM blocked WHERE name = ?').run(name); }

  // --- grants (only explicit decisions are stored; defaults come from the manifest)

  grantRows(name: string): Map<string, boolean> {
    const rows = this.db.prepare('SELECT plug, granted FROM grants WHERE name = ?').all(name) as { plug: string; granted: number }[];
    return new Map(rows.map((r) => [r.plug, r.granted === 1]));
  }
  putGrant(name: string, plug: string, granted: boolean): void {
    this.db.prepare(`INSERT INTO grants (name, plug, granted) VALUES (?, ?, ?)
      ON CONFLICT(name, plug) DO UPDATE SET granted = excluded.granted`).run(name, plug, granted ? 1 : 0);
  }
  deleteGrants(name: string): void { this.db.prepare('DELETE FROM grants WHERE name = ?').run(name); }

  // --- config

  configGet(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM config WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? SETTINGS[key]?.default;
  }
  configSet(key: string, value: string): void {
    checkSetting(key, value);
    this.configPut(key, value);
  }
  /** Writes a key without the user-facing checks (setup keys). */
  configPut(key: string, value: string): void {
    this.db.prepare('INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
  retain(): number { return Number(this.configGet('refresh.retain')); }

  integrityCheck(): string { return this.db.pragma('integrity_check', { simple: true }) as string; }
}

/** Dangerous (unsigned, local) bundles get revisions above this, so they never clash with store revisions. */
export const DANGEROUS_REVISION_BASE = 1_000_000;
