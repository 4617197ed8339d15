import { SkiffError } from '@skiff/bundle';

/** A refusal of the store; `statusCode` is the HTTP status the API answers with. */
export class StoreError extends SkiffError {
  constructor(code: string, message: string, readonly statusCode: number) {
    super(code, message);
  }
}

/** The request is malformed (bad channel, bad key, bad signature, invalid bundle...). */
export class BadRequestError extends StoreError {
  constructor(message: string, code = 'bad-request') {
    super(code, message, 400);
  }
}

/** No token, or one the store does not know. */
export class UnauthorizedError extends StoreError {
  constructor(message = 'a valid API token is required') {
    super('unauthorized', message, 401);
  }
}

/** The account may not act on this app. */
export class ForbiddenError extends StoreError {
  constructor(message: string) {
    super('forbidden', message, 403);
  }
}

export class NotFoundError extends StoreError {
  constructor(message: string, code = 'not-found') {
    super(code, message, 404);
  }
}

/** The thing exists already (name taken, blob already uploaded, key registered). */
export class ConflictError extends StoreError {
  constructor(message: string, code = 'conflict') {
    super(code, message, 409);
  }
}

export class PayloadTooLargeError extends StoreError {
  constructor(limitBytes: number) {
    super('too-large', `the upload exceeds the limit of ${limitBytes} bytes`, 413);
  }
}

/** A per-account limit is reached: names registered (403), uploads in flight (429). */
export class LimitError extends StoreError {
  constructor(message: string, code: string, statusCode: number) {
    super(code, message, statusCode);
  }
}

/** An upload arrived slower than the minimum rate and was cut. */
export class UploadTooSlowError extends StoreError {
  constructor(minBytes: number, intervalSeconds: number) {
    super('upload-too-slow', `the upload was cut: fewer than ${minBytes} bytes arrived in ${intervalSeconds} s`, 408);
  }
}

export class UnsupportedMediaTypeError extends StoreError {
  constructor(message: string) {
    super('unsupported-media-type', message, 415);
  }
}

/** The store answers but cannot vouch for what it serves (its signed timestamp has expired). */
export class UnavailableError extends StoreError {
  constructor(message: string, code: string) {
    super(code, message, 503);
  }
}

/** `serve` cannot listen on the address it was given (in use, not of this host, not permitted). */
export class ListenError extends SkiffError {
  constructor(message: string) {
    super('listen-failed', message);
  }
}

/** The data folder is missing, half-initialised, or already initialised. */
export class StoreSetupError extends SkiffError {
  constructor(message: string) {
    super('store-setup', message);
  }
}

/** The TUF repository on disk is not in a state the store can continue from. */
export class RepositoryError extends SkiffError {
  constructor(message: string) {
    super('repository-invalid', message);
  }
}

/** A setting (flag) has a value the store cannot work with. */
export class SettingError extends SkiffError {
  constructor(message: string) {
    super('setting-invalid', message);
  }
}
