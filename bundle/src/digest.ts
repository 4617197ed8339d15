import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileDigest } from './types';

/** Size and sha256 of a file in one streaming pass (bundles can be large). */
export async function hashFile(path: string): Promise<FileDigest> {
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: sha256.digest('hex') };
}

/** sha256 hex of bytes held in memory. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
