export { main } from './cli';
export { buildApp, storeApp, storeServices } from './app';
export { serve, type RunningServer, type ServeOptions } from './server';
export { initStore, openStore, type StoreContext } from './context';
export { DEFAULT_SETTINGS, resolveSettings, storePaths, type StoreSettings, type StorePaths } from './settings';
export * from './errors';
// The TUF repository: key files are DATA/keys/<role>.json (see tuf/keys.ts for the layout);
// tests forge metadata with @tufjs/models, `loadRoleKeys(dataDir)` and `signMetadata(md, [keys.timestamp])`.
export { loadRoleKeys, signMetadata, toRoleKey, ROLE_NAMES, type RoleKey, type RoleKeys, type RoleName } from './tuf/keys';
export {
  TufRepository, expiresIn, binBitsFor, BIN_PREFIX, SPEC_VERSION,
  type BundleTarget, type CommitReport,
} from './tuf/repository';
export { writeFileAtomic } from '@skiff/bundle';
