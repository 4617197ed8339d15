/**
 * Schema migrations of state.db, applied in order; PRAGMA user_version counts those applied.
 * Never edit a shipped step: append a new one.
 */
export const MIGRATIONS: string[] = [
  `CREATE TABLE apps (
     name TEXT PRIMARY KEY,
     channel TEXT NOT NULL,               -- tracked channel, 'track/risk'
     current INTEGER NOT NULL,            -- revision that <root>/skiff/<name>/current points to
     installed_at TEXT NOT NULL
   );
   -- Kept across remove so that restored data keeps its owner.
   CREATE TABLE users (name TEXT PRIMARY KEY, uid INTEGER NOT NULL UNIQUE);
   CREATE TABLE revisions (
     name TEXT NOT NULL, rev INTEGER NOT NULL,
     version TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
     dangerous INTEGER NOT NULL DEFAULT 0, devmode INTEGER NOT NULL DEFAULT 0,
     channel TEXT,                        -- channel it came from (null for dangerous)
     manifest TEXT NOT NULL,              -- JSON of meta/app.yaml
     installed_at TEXT NOT NULL,
     PRIMARY KEY (name, rev)
   );
   CREATE TABLE blocked (name TEXT NOT NULL, rev INTEGER NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (name, rev));
   CREATE TABLE grants (name TEXT NOT NULL, plug TEXT NOT NULL, granted INTEGER NOT NULL, PRIMARY KEY (name, plug));
   CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE changes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL, summary TEXT NOT NULL,
     status TEXT NOT NULL,                -- doing | undoing | done | undone | error
     abort_requested INTEGER NOT NULL DEFAULT 0,
     error TEXT,
     spawn_time TEXT NOT NULL, ready_time TEXT
   );
   CREATE TABLE tasks (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     change_id INTEGER NOT NULL REFERENCES changes(id),
     seq INTEGER NOT NULL,
     kind TEXT NOT NULL, summary TEXT NOT NULL,
     status TEXT NOT NULL,                -- a TaskStatus (task.ts): do, doing, done, undoing, undone, error, failed, undo-error, hold
     commit_point INTEGER NOT NULL DEFAULT 0,
     params TEXT NOT NULL,                -- JSON inputs, fixed when the change is built
     data TEXT NOT NULL DEFAULT '{}',     -- JSON decisions a handler records before acting
     error TEXT, log TEXT NOT NULL DEFAULT '',
     spawn_time TEXT NOT NULL, ready_time TEXT,
     UNIQUE (change_id, seq)
   );
   CREATE TABLE lock (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, start_time TEXT NOT NULL, change_id INTEGER, since TEXT NOT NULL);`,
  // Automatic refresh (device/autorefresh): holds, failed revisions backed off, and the agent's own record.
  `CREATE TABLE holds (name TEXT PRIMARY KEY, until TEXT NOT NULL, at TEXT NOT NULL);  -- until: RFC 3339 or 'forever'
   CREATE TABLE refresh_failures (name TEXT NOT NULL, rev INTEGER NOT NULL, count INTEGER NOT NULL, last_at TEXT NOT NULL, PRIMARY KEY (name, rev));
   CREATE TABLE refresh_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];
