export { StoreClient, type StoreClientOptions, type AppInfo, type UploadResult, type ReleaseResult, type SearchResult } from './api';
export { resolveLogin, saveLogin, loginPath, configDir, normaliseStoreUrl, type StoreLogin } from './config';
export { StoreRequestError, StoreUnreachableError, NotLoggedInError } from './errors';
export { uploadBundle, type UploadOutcome } from './upload';
