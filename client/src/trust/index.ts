// Device trust (tuf-js) and verified bundle downloads.
export type { BundleTarget, ChannelMap, DeltaTarget, DownloadOptions } from './types';
export { DeviceTrust, type DeviceTrustOptions } from './device-trust';
export { defaultTrustSettings, trustSettings, type TrustSettings } from './settings';
export { SHIPPED_ROOT } from './metadata-store';
export { DownloadAbortedError, DownloadFailedError, NoSpaceError, NotInStoreError, TrustMissingError, TrustRefusedError } from './errors';
