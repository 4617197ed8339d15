// An upload's signature, as the publisher's `skiff upload` makes it and the store checks it.
import { canonicalJson } from './canonical';

/** The HTTP headers that carry the publisher's key id and signature with an upload. */
export const UPLOAD_HEADERS = Object.freeze({ keyId: 'skiff-key-id', signature: 'skiff-signature' });

/** What a publisher signs for an upload: the canonical JSON of {name, sha256, size}. */
export function uploadSignaturePayload(name: string, sha256: string, size: number): Buffer {
  return canonicalJson({ name, sha256, size });
}
