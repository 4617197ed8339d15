// Small real bundles for store tests, packed with the bundle part's own packBundle.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { packBundle, type PackResult } from '@skiff/bundle';

/** Packs `name` at `version` into `workDir`; `padBytes` of random data set its size (and make it unique). */
export async function packTestBundle(workDir: string, opts: { name: string; version?: string; summary?: string; description?: string; plugs?: string[]; padBytes?: number }): Promise<PackResult> {
  const tag = randomBytes(4).toString('hex');
  const src = join(workDir, `src-${opts.name}-${tag}`);
  mkdirSync(join(src, 'meta'), { recursive: true });
  mkdirSync(join(src, 'bin'), { recursive: true });
  // Text fields as JSON strings, which YAML reads as double-quoted scalars: any characters survive.
  writeFileSync(join(src, 'meta', 'app.yaml'), [
    `name: ${opts.name}`, `version: '${opts.version ?? '1.0'}'`, `summary: ${JSON.stringify(opts.summary ?? `The ${opts.name} test app`)}`,
    ...(opts.description !== undefined ? [`description: ${JSON.stringify(opts.description)}`] : []),
    ...(opts.plugs ? [`plugs: ${JSON.stringify(opts.plugs)}`] : []),
    'apps:', `  ${opts.name}:`, `    command: bin/${opts.name}`, '',
  ].join('\n'));
  writeFileSync(join(src, 'bin', opts.name), '#!/bin/sh\necho hello\n');
  chmodSync(join(src, 'bin', opts.name), 0o755);
  writeFileSync(join(src, 'pad'), randomBytes(opts.padBytes ?? 256));
  return packBundle(src, join(workDir, `out-${tag}`));
}
