import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PublisherKey, errors, ref } from './schemas';

/** The calling account: who it is, its publisher keys. */
export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.requireAccount);

  app.get('/account', {
    schema: {
      operationId: 'getAccount', summary: 'The account the token belongs to', tags: ['account'], security: [{ token: [] }],
      response: {
        200: Type.Object({ name: Type.String(), created: Type.String(), apps: Type.Array(Type.Object({ name: Type.String(), summary: Type.String() })) }, { description: 'The account and the app names it registered' }),
        ...errors(401),
      },
    },
  }, async (req) => ({ name: req.account.name, created: req.account.created, apps: app.store.apps.ownedBy(req.account) }));

  app.get('/account/keys', {
    schema: {
      operationId: 'listPublisherKeys', summary: 'Publisher keys registered to the account', tags: ['account'], security: [{ token: [] }],
      response: { 200: Type.Object({ keys: Type.Array(Type.Unsafe({ $ref: 'PublisherKey#' })) }, { description: 'The keys, by name' }), ...errors(401) },
    },
  }, async (req) => ({ keys: app.store.accounts.keys(req.account) }));

  app.post('/account/keys', {
    schema: {
      operationId: 'registerPublisherKey', summary: 'Register an ed25519 publisher key', tags: ['account'], security: [{ token: [] }],
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), publicKey: Type.String({ minLength: 64, maxLength: 64 }) }, { additionalProperties: false }),
      response: { 201: ref(PublisherKey, 'The key, registered'), ...errors(400, 401, 409) },
    },
  }, async (req, reply) => {
    reply.code(201);
    return app.store.accounts.registerKey(req.account, req.body.name, req.body.publicKey);
  });
};
