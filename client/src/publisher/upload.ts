import { SkiffError, validateBundle } from '@skiff/bundle';
import { defaultKeyName, loadKey } from '../keystore';
import type { StoreClient, UploadResult, ReleaseResult } from './api';
import { noProgress, progressBar } from '../trust/progress';
import { StoreRequestError } from './errors';

export interface UploadOutcome extends UploadResult { key: string; released?: ReleaseResult }

/**
 * Checks the bundle as the store will, signs {name, sha256, size} with the chosen key (--key, else the
 * only key, else `default`), streams it with a progress bar on a terminal, and releases it if asked.
 */
export async function uploadBundle(client: StoreClient, file: string, opts: { key?: string; release?: string; progress?: boolean }): Promise<UploadOutcome> {
  const keyName = opts.key ?? defaultKeyName();
  const key = loadKey(keyName);
  const info = await validateBundle(file);
  // Ask before sending the bytes: a refusal after a large upload wastes it, and a store that refuses
  // a body early closes the connection mid-send. The store checks all of this again itself.
  const account = await client.account();
  if (!account.apps.some((a) => a.name === info.manifest.name)) {
    throw new StoreRequestError('forbidden',
      `the bundle is named "${info.manifest.name}", which is not registered to your account ${account.name}; run: skiff register ${info.manifest.name}`, 403);
  }
  // The same bar as a download's: bytes, rate and ETA on stderr.
  const progress = opts.progress ? await progressBar(`uploading ${info.manifest.name}`, info.size, 0) : noProgress;
  let result: UploadResult;
  try {
    result = await client.upload({
      file, name: info.manifest.name, sha256: info.sha256, size: info.size, keyId: key.keyId, keyPair: key.keyPair,
      onProgress: (sent) => progress.update(sent),
    });
  } finally {
    progress.stop();
  }
  const outcome: UploadOutcome = { ...result, key: keyName };
  if (opts.release) {
    try {
      outcome.released = await client.release(result.name, result.revision, opts.release);
    } catch (err) {
      // The upload stands: say which revision it made, so the release can be retried by hand.
      if (err instanceof SkiffError) {
        throw new StoreRequestError(err.code, `uploaded ${result.name} revision ${result.revision}, but releasing it to ${opts.release} failed: ${err.message}`,
          err instanceof StoreRequestError ? err.status : 0);
      }
      throw err;
    }
  }
  return outcome;
}
