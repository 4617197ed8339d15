import { canonicalize } from '@tufjs/canonical-json';

/** The canonical JSON bytes of a value (OLPC canonical JSON, as TUF signs and hashes it). */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
