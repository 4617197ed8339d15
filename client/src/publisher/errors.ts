import { SkiffError } from '@skiff/bundle';

/** The store refused a request; `code` is the store's own stable code, `status` the HTTP status. */
export class StoreRequestError extends SkiffError {
  constructor(code: string, message: string, readonly status: number) {
    super(code, message);
  }
}

/** The store could not be reached, or answered something that is not the store API. */
export class StoreUnreachableError extends SkiffError {
  constructor(message: string) {
    super('store-unreachable', message);
  }
}

/** No store URL or token: neither `skiff login` nor SKIFF_STORE / SKIFF_TOKEN. */
export class NotLoggedInError extends SkiffError {
  constructor(message = 'not logged in to a store: run `skiff login STORE_URL` (token on stdin), or set SKIFF_STORE and SKIFF_TOKEN') {
    super('not-logged-in', message);
  }
}
