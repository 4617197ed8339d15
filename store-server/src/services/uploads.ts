import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, renameSync, rmSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SkiffError, declaredArchitectures, uploadSignaturePayload, validateBundle, verifyBytes, type Architecture } from '@skiff/bundle';
import type { StoreContext } from '../context';
import type { AccountRow } from '../repositories/accounts';
import { architecturesColumn, declaredOf } from '../repositories/apps';
import type { AppService } from './apps';
import { BadRequestError, ConflictError, ForbiddenError, LimitError, NotFoundError, PayloadTooLargeError, UploadTooSlowError } from '../errors';
import { fsyncDir } from '@skiff/bundle';

export interface UploadRequest {
  account: AccountRow;
  body: Readable;
  /** The Content-Length header, when the client sent one. */
  declaredBytes?: number;
  keyId: string;
  signature: string;
}

export interface UploadResult { name: string; revision: number; version: string; sha256: string; size: number; architectures: 'all' | Architecture[] }

/** Uploading for a name nobody registered is refused like uploading for someone else's: 403. */
function ownedForUpload(apps: AppService, account: AccountRow, name: string) {
  try {
    return apps.owned(account, name);
  } catch (err) {
    if (err instanceof NotFoundError) throw new ForbiddenError(`the bundle is named "${name}", which is not registered to account "${account.name}": run \`skiff register ${name}\` first`);
    throw err;
  }
}

/** How much an upload may bring and how slowly. */
interface ReceiveLimits { maxBytes: number; minBytesPerInterval: number; intervalSeconds: number }

/** Streams the body to `path`, hashing and counting as it goes; stops at `maxBytes`, or when it arrives too slowly. */
async function receive(body: Readable, path: string, limits: ReceiveLimits): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  let sizeAtLastCheck = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limits.maxBytes) return done(new PayloadTooLargeError(limits.maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // Opened now, not by the stream: a file opened later could appear after the caller's cleanup ran.
  // 0644: the blob is hard-linked into repo/targets, which a separate web server (nginx) may serve.
  // Until then it sits in DATA/tmp, a 0700 folder.
  const fd = openSync(path, 'wx', 0o644);
  const rateCheck = setInterval(() => {
    if (size - sizeAtLastCheck < limits.minBytesPerInterval) meter.destroy(new UploadTooSlowError(limits.minBytesPerInterval, limits.intervalSeconds));
    sizeAtLastCheck = size;
  }, limits.intervalSeconds * 1000);
  try {
    await pipeline(body, meter, createWriteStream(path, { fd }));
  } catch (err) {
    if (err instanceof PayloadTooLargeError || err instanceof UploadTooSlowError) throw err;
    throw new BadRequestError(`the upload was interrupted after ${size} bytes: ${(err as Error).message}`, 'upload-interrupted');
  } finally {
    clearInterval(rateCheck);
  }
  const check = openSync(path, 'r');
  try { fsyncSync(check); } finally { closeSync(check); }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Accepts a bundle upload. Every check runs on a temporary file; only a valid, signed, new bundle
 * of an app the account owns moves into the blob folder and gets the next revision.
 */
export function uploadService(ctx: StoreContext, apps: AppService) {
  const { settings } = ctx;
  const limits: ReceiveLimits = {
    maxBytes: settings.maxUploadBytes, minBytesPerInterval: settings.uploadMinBytesPerInterval, intervalSeconds: settings.uploadRateIntervalSeconds,
  };
  const inFlight = new Map<number, number>();
  return {
    /** Uploads being received or checked, over all accounts. */
    inFlight: () => [...inFlight.values()].reduce((a, b) => a + b, 0),
    async upload(req: UploadRequest): Promise<UploadResult> {
      if (req.declaredBytes !== undefined && req.declaredBytes > limits.maxBytes) throw new PayloadTooLargeError(limits.maxBytes);
      const mine = inFlight.get(req.account.id) ?? 0;
      if (mine >= settings.maxUploadsInFlightPerAccount) {
        throw new LimitError(`account "${req.account.name}" has ${mine} uploads in flight, the most allowed: wait for one to finish`, 'too-many-uploads', 429);
      }
      inFlight.set(req.account.id, mine + 1);
      const tmp = join(ctx.paths.tmp, `upload-${randomBytes(8).toString('hex')}`);
      try {
        const { sha256, size } = await receive(req.body, tmp, limits);
        let manifest;
        try {
          manifest = (await validateBundle(tmp)).manifest;
        } catch (err) {
          // The message names the problem; the server's temporary path means nothing to the publisher.
          if (err instanceof SkiffError) throw new BadRequestError(`the bundle is refused: ${err.message.split(tmp).join('upload')}`, 'bundle-invalid');
          throw err;
        }
        const app = ownedForUpload(apps, req.account, manifest.name);
        const key = ctx.accounts.findKey(req.keyId);
        if (!key || key.account_id !== req.account.id) {
          throw new BadRequestError(`key ${req.keyId} is not registered to account "${req.account.name}"`, 'signature-invalid');
        }
        if (!/^[0-9a-f]{128}$/i.test(req.signature) || !verifyBytes(key.public_hex, uploadSignaturePayload(app.name, sha256, size), req.signature)) {
          throw new BadRequestError(`the publisher signature does not verify with key "${key.name}" over {name, sha256, size}`, 'signature-invalid');
        }
        const dup = ctx.apps.revisionBySha(app.id, sha256);
        if (dup) throw new ConflictError(`this bundle is already revision ${dup.revision} of "${app.name}"`, 'duplicate-upload');
        // The blob moves first: a crash before the row commits leaves a blob that startup removes.
        const blob = join(ctx.paths.blobs, sha256);
        if (!existsSync(blob)) {
          renameSync(tmp, blob);
          fsyncDir(ctx.paths.blobs);
        }
        try {
          const row = ctx.db.transaction(() => {
            const revision = ctx.apps.nextRevision(app.id);
            ctx.apps.setSummary(app.id, manifest.summary);
            // The declared list is trusted here: pack checked it against the ELF files, and the publisher signed the bundle.
            const architectures = architecturesColumn(declaredArchitectures(manifest));
            return ctx.apps.addRevision({ app_id: app.id, revision, sha256, size, version: manifest.version, key_id: key.key_id, architectures, manifest: JSON.stringify(manifest) });
          }).immediate();
          return { name: app.name, revision: row.revision, version: row.version, sha256, size, architectures: declaredOf(row) };
        } catch (err) {
          if (!ctx.apps.isBlobReferenced(sha256)) rmSync(blob, { force: true });
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`this bundle is already a revision of "${app.name}"`, 'duplicate-upload');
          throw err;
        }
      } finally {
        rmSync(tmp, { force: true });
        const left = (inFlight.get(req.account.id) ?? 1) - 1;
        if (left > 0) inFlight.set(req.account.id, left);
        else inFlight.delete(req.account.id);
      }
    },
  };
}
export type UploadService = ReturnType<typeof uploadService>;
