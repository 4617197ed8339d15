import type { onRequestHookHandler } from 'fastify';
import type { StoreContext } from './context';
import type { AccountRow } from './repositories/accounts';
import type { AccountService } from './services/accounts';
import type { AppService } from './services/apps';
import type { ReleaseService } from './services/releases';
import type { UploadService } from './services/uploads';
import type { DeltaService } from './deltas/service';

/** The domain services, decorated onto the fastify instance as `app.store`. */
export interface StoreServices {
  context: StoreContext;
  accounts: AccountService;
  apps: AppService;
  uploads: UploadService;
  releases: ReleaseService;
  deltas: DeltaService;
}

declare module 'fastify' {
  interface FastifyInstance {
    store: StoreServices;
    /** onRequest hook: 401 unless the request carries a valid token; sets `request.account`. */
    requireAccount: onRequestHookHandler;
  }
  interface FastifyRequest {
    account: AccountRow;
  }
}
