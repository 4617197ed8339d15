import { ManifestError } from './errors';
import { SIZE_PATTERN } from './patterns';
import { MANIFEST_PATH } from './settings';
import type { Manifest } from './types';

/**
 * Parses and validates meta/app.yaml. The YAML parser and the schema load on first use: together
 * they cost ~250 ms of start-up, which every `skiff` verb would pay for SkiffError alone.
 */
export function parseManifest(text: string, source: string = MANIFEST_PATH): Manifest {
  return (require('./manifest-parse') as typeof import('./manifest-parse')).parseManifest(text, source);
}

/** Parses a size such as 64M, 512K, 2G or a plain number of bytes; K, M, G are powers of 1024. */
export function parseSize(text: string): number {
  const m = /^([0-9]+)([KMG]?)$/.exec(text.trim());
  if (!m || (m[2] && !new RegExp(SIZE_PATTERN).test(text.trim()))) {
    throw new ManifestError(`"${text}" is not a size: use a number with K, M or G, like 64M`);
  }
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as '' | 'K' | 'M' | 'G'];
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) throw new ManifestError(`"${text}" is too large a size`);
  return bytes;
}

