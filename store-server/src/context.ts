import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabase, type Db } from './db';
import { accountRepository, type AccountRepository } from './repositories/accounts';
import { appRepository, type AppRepository } from './repositories/apps';
import { resolveSettings, storePaths, type StorePaths, type StoreSettings } from './settings';
import { TufRepository } from './tuf/repository';
import { ROLE_NAMES, createRoleKeys, loadRoleKeys, roleKeyPath } from './tuf/keys';
import { StoreSetupError } from './errors';

/** Everything a store process holds open: settings, paths, database, repositories, TUF repository. */
export interface StoreContext {
  paths: StorePaths;
  settings: StoreSettings;
  db: Db;
  accounts: AccountRepository;
  apps: AppRepository;
  tuf: TufRepository;
  close(): void;
}

/** Creates a new store in `dataDir` (empty or absent): database, blob folder, keys, TUF version 1. */
export function initStore(dataDir: string, partial: Partial<StoreSettings> = {}): { paths: StorePaths; rootJsonPath: string } {
  const settings = resolveSettings(partial);
  const paths = storePaths(resolve(dataDir));
  if (existsSync(paths.db) || existsSync(paths.keys) || existsSync(paths.repo)) {
    throw new StoreSetupError(`${dataDir} already holds a store`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  for (const d of [paths.blobs, paths.tmp]) mkdirSync(d, { recursive: true, mode: 0o700 });
  // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
  closeSync(openSync(paths.db, 'wx', 0o600));
  const db = openDatabase(paths.db, { create: true, settings });
  db.close();
  const keys = createRoleKeys(paths.keys);
  TufRepository.create(paths, settings, keys);
  return { paths, rootJsonPath: join(paths.metadata, '1.root.json') };
}

/** The paths of an initialised store; a folder without one (or no folder) is refused, saying how to make one. */
export function initialisedStorePaths(dataDir: string): StorePaths {
  const paths = storePaths(resolve(dataDir));
  if (!existsSync(paths.db)) throw new StoreSetupError(`${dataDir} holds no store: run \`skiff-store init --data ${dataDir}\``);
  return paths;
}

/** Opens an initialised store; with `recover`, clears what a crash may have left (temp files, unreferenced blobs). */
export function openStore(dataDir: string, partial: Partial<StoreSettings> = {}, opts: { recover?: boolean } = {}): StoreContext {
  const settings = resolveSettings(partial);
  const paths = initialisedStorePaths(dataDir);
  restrictSecrets(paths);
  const db = openDatabase(paths.db, { settings });
  const accounts = accountRepository(db);
  const apps = appRepository(db);
  const tuf = TufRepository.open(paths, settings, loadRoleKeys(dataDir, paths.keys));
  if (opts.recover) recoverFiles(paths, apps);
  return { paths, settings, db, accounts, apps, tuf, close: () => db.close() };
}

/** The database (accounts, token hashes) and the TUF keys are the store's alone: data folders made before this rule are tightened. */
function restrictSecrets(paths: StorePaths): void {
  for (const f of [paths.db, `${paths.db}-wal`, `${paths.db}-shm`]) {
    if (existsSync(f)) chmodSync(f, 0o600);
  }
  if (!existsSync(paths.keys)) return;
  chmodSync(paths.keys, 0o700);
  for (const role of ROLE_NAMES) {
    const key = roleKeyPath(paths.keys, role);
    if (existsSync(key)) chmodSync(key, 0o600);
  }
}

/** An upload interrupted by a crash leaves a temp file, or a blob whose revision row never committed. */
function recoverFiles(paths: StorePaths, apps: AppRepository): void {
  rmSync(paths.tmp, { recursive: true, force: true });
  mkdirSync(paths.tmp, { recursive: true, mode: 0o700 });
  const referenced = apps.referencedBlobs();
  for (const f of readdirSync(paths.blobs)) {
    if (!referenced.has(f)) rmSync(join(paths.blobs, f), { force: true });
  }
}
