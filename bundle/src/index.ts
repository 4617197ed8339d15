export * from './errors';
export * from './types';
export { NAME_PATTERN, APP_NAME_LENGTH, RESERVED_APP_NAMES, appNameProblem, type AppNameProblem } from './patterns';
export { UPLOAD_HEADERS, uploadSignaturePayload } from './upload';
export {
  bundleTargetPath, channelMapTargetPath, channelsFor, architecturesIn, type ChannelMapDocument, type ChannelMapEntry, type BundleTargetCustom,
} from './targets';
export { RISKS, DEFAULT_TRACK, parseChannel, channelName, normalizeChannel, compareChannels, type Channel, type Risk } from './channels';
export { parseManifest, parseSize } from './manifest';
export {
  ARCHITECTURES, ALL_ARCHITECTURES, isArchitecture, architectureOfMachine, declaredArchitectures, servedArchitectures,
  architecturesText, type Architecture,
} from './architectures';
export { elfArchitecture, fileElfArchitecture, type ElfArchitecture } from './elf';
export { SERVICE_DEFAULTS, parseDuration, serviceSpecs, type ServiceSpec } from './services';
export { findRefusals, checkBundleTree, type Refusal } from './rules';
export { inspectBundle, readBundleManifest, validateBundle } from './inspect';
export { listTree } from './tree';
export { hashFile, sha256Hex } from './digest';
export { canonicalJson } from './canonical';
export { writeFileAtomic, fsyncDir, type AtomicWriteOptions } from './files';
export { DeviceLayout } from './layout';
export { processAlive } from './process';
export { BUNDLE_LIMITS, MKSQUASHFS_OPTIONS, MANIFEST_PATH, HOOKS_DIR } from './settings';
export { ToolError } from './tools';
export { EXIT, describeParseError, reportCommandError } from './usage';

// pack (mksquashfs) and keys (tweetnacl) load on first call: a device command needs neither, and
// loading them cost every `skiff` start ~16 ms.
type Pack = typeof import('./pack');
type Keys = typeof import('./keys');
const pack = (): Pack => require('./pack') as Pack;
const keys = (): Keys => require('./keys') as Keys;
function lazy<M, K extends keyof M>(load: () => M, key: K): M[K] {
  return ((...args: unknown[]) => (load()[key] as (...a: unknown[]) => unknown)(...args)) as M[K];
}
export const packBundle = lazy(pack, 'packBundle');
export const generateKeyPair = lazy(keys, 'generateKeyPair');
export const saveKeyPair = lazy(keys, 'saveKeyPair');
export const loadKeyPair = lazy(keys, 'loadKeyPair');
export const publicKeyHex = lazy(keys, 'publicKeyHex');
export const tufPublicKey = lazy(keys, 'tufPublicKey');
export const keyIdOf = lazy(keys, 'keyIdOf');
export const signBytes = lazy(keys, 'signBytes');
export const verifyBytes = lazy(keys, 'verifyBytes');
export { DELTA_LIMITS, DELTA_MAGIC, DeltaError, checkDeltaPath, checkDeltaImage, parseDeltaHeader, type DeltaHeader, type DeltaImage, type DeltaOp } from './delta-format';
export { applyDelta } from './delta-apply';
export { squashTree } from './squash';
export { deltaTargetPath, type DeltaTargetCustom } from './targets';
// Made only by the store.
type DeltaMake = typeof import('./delta-make');
export const makeDelta = lazy((): DeltaMake => require('./delta-make') as DeltaMake, 'makeDelta');
export type { DeltaStats, MakeDeltaOptions } from './delta-make';
