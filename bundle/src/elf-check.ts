// `skiff pack` holds the ELF files of a tree to the architectures its manifest declares.
import { join } from 'node:path';
import { ALL_ARCHITECTURES, declaredArchitectures, type Architecture } from './architectures';
import { fileElfArchitecture } from './elf';
import { BundleRuleError } from './errors';
import { MANIFEST_PATH } from './settings';
import type { BundleEntry, Manifest } from './types';

/**
 * Refuses, in one line naming the file and both architectures, an ELF file the manifest contradicts:
 * one for an undeclared architecture, any native file in an `all` bundle (the store would serve it to
 * every device), or a declared architecture no ELF file is built for while others have theirs.
 */
export async function checkElfArchitectures(manifest: Manifest, dir: string, entries: readonly BundleEntry[]): Promise<void> {
  const declared = declaredArchitectures(manifest);
  const found = new Map<Architecture, string>();
  for (const e of entries) {
    if (e.type !== 'file') continue;
    const elf = await fileElfArchitecture(join(dir, e.path));
    if (!elf) continue;
    if ('unknown' in elf) throw refuse(e.path, `an ${elf.unknown} file, not for an architecture Skiff knows`);
    if (declared === ALL_ARCHITECTURES) {
      throw refuse(e.path, `an ELF file for ${elf.arch}, but ${MANIFEST_PATH} declares architectures: all; declare architectures: [${elf.arch}]`);
    }
    if (!declared.includes(elf.arch)) {
      throw refuse(e.path, `an ELF file for ${elf.arch}, but ${MANIFEST_PATH} declares architectures: [${declared.join(', ')}]`);
    }
    if (!found.has(elf.arch)) found.set(elf.arch, e.path);
  }
  if (declared === ALL_ARCHITECTURES || found.size === 0) return;
  const missing = declared.find((a) => !found.has(a));
  if (missing) {
    const [arch, path] = [...found][0]!;
    throw refuse(MANIFEST_PATH, `declares ${missing}, but no ELF file is built for it (${path} is for ${arch})`);
  }
}

function refuse(path: string, reason: string): BundleRuleError {
  return new BundleRuleError(`refused ${path}: ${reason}`, path);
}
