import { basename } from 'node:path';
import { BundleFormatError, ManifestError } from './errors';
import { hashFile } from './digest';
import { parseListing } from './listing';
import { parseManifest } from './manifest';
import { checkBundleTree } from './rules';
import { BUNDLE_LIMITS, MANIFEST_PATH } from './settings';
import { readSuperblock } from './superblock';
import { runTool } from './tools';
import type { BundleInfo, BundleEntry } from './types';

/**
 * Reads a bundle's manifest and file list without mounting it and without following any link:
 * the superblock is checked by hand, then `unsquashfs -lln` lists and `unsquashfs -cat` reads.
 */
export async function inspectBundle(file: string): Promise<BundleInfo> {
  const { manifest, files } = await readBundleManifest(file);
  const digest = await hashFile(file);
  return { manifest, files, size: digest.size, sha256: digest.sha256 };
}

/**
 * The manifest and file list only, without hashing the image: for a device whose download has
 * already checked the signed sha256 (a second pass over a large bundle costs as much as the download).
 */
export async function readBundleManifest(file: string): Promise<Pick<BundleInfo, 'manifest' | 'files'>> {
  await readSuperblock(file);
  const files = await listBundle(file);
  const entry = files.find((e) => e.path === MANIFEST_PATH);
  if (!entry) throw new ManifestError(`${file}: has no ${MANIFEST_PATH}`, undefined);
  // Only a regular file is read: -cat of a symlink would resolve it.
  if (entry.type !== 'file') throw new ManifestError(`${file}: ${MANIFEST_PATH} is a ${entry.type}, not a regular file`);
  if (entry.size > BUNDLE_LIMITS.manifestMaxBytes) {
    throw new ManifestError(`${file}: ${MANIFEST_PATH} is larger than ${BUNDLE_LIMITS.manifestMaxBytes} bytes`);
  }
  const text = await unsquashfs(file, ['-cat', file, MANIFEST_PATH], BUNDLE_LIMITS.manifestMaxBytes + 1);
  const manifest = parseManifest(text.toString('utf8'), `${basename(file)}:${MANIFEST_PATH}`);
  return { manifest, files };
}

/** inspectBundle plus the same tree rules as packBundle: what the store runs on every upload. */
export async function validateBundle(file: string): Promise<BundleInfo> {
  const info = await inspectBundle(file);
  checkBundleTree(info.manifest, info.files);
  return info;
}

async function listBundle(file: string): Promise<BundleEntry[]> {
  const stdout = await unsquashfs(file, ['-lln', file]);
  try {
    return parseListing(stdout);
  } catch (err) {
    throw new BundleFormatError(`${file}: ${(err as Error).message}`, file);
  }
}

// Any failure of unsquashfs on a file that passed the superblock check means a damaged image.
async function unsquashfs(file: string, args: string[], maxBytes?: number): Promise<Buffer> {
  try {
    return await runTool('unsquashfs', args, { timeoutMs: BUNDLE_LIMITS.unsquashfsTimeoutMs, ...(maxBytes ? { maxBytes } : {}) });
  } catch (err) {
    throw new BundleFormatError(`${file} cannot be read as a squashfs bundle: ${(err as Error).message}`, file);
  }
}
