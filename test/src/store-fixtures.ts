// Small real bundles for store tests: the store's own fixture, packed with the bundle part's packBundle.
import type { PackResult } from '@skiff/bundle';
import { makeBundle } from '@skiff/store-server/dist/test/helpers';

/** Packs `name` at `version` into `workDir`; `padBytes` of random data set its size (and make it unique). */
export function packTestBundle(workDir: string, opts: { name: string; version?: string; summary?: string; description?: string; plugs?: string[]; padBytes?: number; architectures?: string[] }): Promise<PackResult> {
  return makeBundle(workDir, { padBytes: 256, ...opts });
}
