import { lstat, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BundleRuleError, ManifestError } from './errors';
import { validateBundle } from './inspect';
import { parseManifest } from './manifest';
import { checkBundleTree } from './rules';
import { checkElfArchitectures } from './elf-check';
import { ALL_ARCHITECTURES, declaredArchitectures } from './architectures';
import { BUNDLE_LIMITS, MANIFEST_PATH } from './settings';
import { squashTree } from './squash';
import { listTree } from './tree';
import type { Manifest, PackResult } from './types';

/**
 * Packs a folder into `<outDir>/<name>_<version>.skiff` (`<name>_<version>_<arch>[+<arch>...].skiff` for a
 * bundle of listed architectures). Every rule is checked before anything
 * is written; the image is built in a temporary file, checked again as the store will check it,
 * and renamed into place, so a refusal or a failure leaves no output behind.
 */
export async function packBundle(dir: string, outDir: string): Promise<PackResult> {
  const src = resolve(dir);
  const out = resolve(outDir);
  const st = await stat(src).catch(() => undefined);
  if (!st?.isDirectory()) throw new BundleRuleError(`refused ${dir}: not a folder`, dir);
  const manifest = await readManifest(src);
  const rel = relative(src, out);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new BundleRuleError(`refused ${outDir}: the output folder is inside the folder being packed; choose another with -o`, outDir);
  }
  const entries = await listTree(src);
  checkBundleTree(manifest, entries);
  await checkElfArchitectures(manifest, src, entries);

  await mkdir(out, { recursive: true });
  // Builds of one version for several architectures must not overwrite each other in one folder.
  const archs = declaredArchitectures(manifest);
  const file = `${manifest.name}_${manifest.version}${archs === ALL_ARCHITECTURES ? '' : `_${archs.join('+')}`}.skiff`;
  const tmp = join(out, `.${file}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await squashTree(src, tmp);
    await fsyncFile(tmp);
    // The tree may have changed since it was checked: judge the image itself, as an upload would be.
    const info = await validateBundle(tmp);
    const path = join(out, file);
    await rename(tmp, path);
    return { path, manifest: info.manifest, sha256: info.sha256, size: info.size };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function readManifest(src: string): Promise<Manifest> {
  const path = join(src, MANIFEST_PATH);
  const st = await lstat(path).catch(() => undefined);
  if (!st) throw new ManifestError(`refused ${path}: missing; every bundle needs ${MANIFEST_PATH}`, undefined);
  if (!st.isFile()) throw new ManifestError(`refused ${path}: must be a regular file`, undefined);
  if (st.size > BUNDLE_LIMITS.manifestMaxBytes) throw new ManifestError(`refused ${path}: larger than ${BUNDLE_LIMITS.manifestMaxBytes} bytes`);
  return parseManifest(await readFile(path, 'utf8'), path);
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try { await handle.sync(); } finally { await handle.close(); }
}
