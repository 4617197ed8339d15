// Reading the store's signed targets: channel maps and bundle targets, with their shapes checked.
import type { TargetFile } from '@tufjs/models';
import { appNameProblem, isArchitecture, type ChannelMapEntry } from '@skiff/bundle';
import { InvalidNameError, TrustRefusedError } from './errors';
import type { BundleTarget, ChannelMap, DeltaTarget } from './types';

/** The bundle part's app-name rule (which also keeps target paths plain), said in the store's words. */
export function checkAppName(name: string, hint = ''): void {
  const problem = appNameProblem(name);
  if (problem) throw new InvalidNameError(problem.message + hint, problem.code);
}

/** `skiff install out/hello_1.2.skiff` means a local file: say how to install one. */
export function checkStoreAppName(name: string): void {
  checkAppName(name, /[/.]/.test(name) ? '; to install a local bundle file, add --dangerous' : '');
}

export function checkRevision(revision: number): void {
  if (!Number.isSafeInteger(revision) || revision < 1) throw new InvalidNameError(`invalid revision ${revision} (a positive integer)`);
}


const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a verified channel map; a signed but malformed one is refused rather than half-used. */
export function parseChannelMap(bytes: Buffer, name: string): ChannelMap {
  const refuse = (why: string): never => { throw new TrustRefusedError(`channel map of ${name} refused: ${why}`); };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return refuse('not JSON');
  }
  if (!isRecord(json)) return refuse('not an object');
  if (json.name !== name) return refuse(`it names app ${JSON.stringify(json.name)}`);
  if (!isRecord(json.channels)) return refuse('no "channels" object');
  const entries = (value: Record<string, unknown>, where: string): Record<string, ChannelMapEntry> => {
    const channels: Record<string, ChannelMapEntry> = {};
    for (const [channel, entry] of Object.entries(value)) {
      if (!isRecord(entry) || !Number.isSafeInteger(entry.revision) || (entry.revision as number) < 1 || typeof entry.version !== 'string') {
        return refuse(`channel ${channel}${where} is not {revision: positive integer, version: string}`);
      }
      channels[channel] = { revision: entry.revision as number, version: entry.version };
    }
    return channels;
  };
  const map: ChannelMap = { name, channels: entries(json.channels, '') };
  // Absent in maps signed before architectures; an architecture this device does not know is skipped.
  if (json.architectures !== undefined) {
    if (!isRecord(json.architectures)) return refuse('"architectures" is not an object');
    map.architectures = {};
    for (const [arch, channels] of Object.entries(json.architectures)) {
      if (!isRecord(channels)) return refuse(`architecture ${arch} is not an object of channels`);
      if (isArchitecture(arch)) map.architectures[arch] = entries(channels, ` of ${arch}`);
    }
  }
  return map;
}

/** A verified bundle target, checked to be the revision of the app that was asked for. */
export function toBundleTarget(target: TargetFile, name: string, revision: number): BundleTarget {
  const refuse = (why: string): never => { throw new TrustRefusedError(`${target.path} refused: ${why}`); };
  const sha256 = target.hashes.sha256;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return refuse('no sha256 in its signed hashes');
  const custom = target.custom as Record<string, unknown>;
  if (custom.name !== name || custom.revision !== revision) return refuse(`its signed custom fields name ${String(custom.name)} revision ${String(custom.revision)}`);
  if (typeof custom.version !== 'string' || typeof custom.publisher !== 'string') return refuse('its signed custom fields lack version or publisher');
  return { path: target.path, length: target.length, sha256, custom: { name, revision, version: custom.version, publisher: custom.publisher } };
}

/**
 * A verified delta target, checked to join `from` and the signed bundle `bundle`: a delta naming another
 * bundle is refused (the caller then uses the full bundle).
 */
export function toDeltaTarget(target: TargetFile, bundle: BundleTarget, from: number): DeltaTarget {
  const refuse = (why: string): never => { throw new TrustRefusedError(`${target.path} refused: ${why}`); };
  const sha256 = target.hashes.sha256;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return refuse('no sha256 in its signed hashes');
  const c = target.custom as Record<string, unknown>;
  if (c.name !== bundle.custom.name || c.source !== from || c.target !== bundle.custom.revision) return refuse('its signed custom fields name other revisions');
  if (c.bundleSha256 !== bundle.sha256 || c.bundleLength !== bundle.length) return refuse(`it rebuilds another bundle than ${bundle.path}`);
  return { path: target.path, length: target.length, sha256, custom: { name: bundle.custom.name, source: from, target: bundle.custom.revision, bundleSha256: bundle.sha256, bundleLength: bundle.length } };
}
