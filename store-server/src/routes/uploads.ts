import { Type } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UploadReply, errors, ref } from './schemas';
import { BadRequestError, UnsupportedMediaTypeError } from '../errors';

import { UPLOAD_HEADERS } from '@skiff/bundle';

const KEY_ID_HEADER = UPLOAD_HEADERS.keyId;
const SIGNATURE_HEADER = UPLOAD_HEADERS.signature;

/** Bundle uploads: the body is the raw bundle, streamed to disk while hashed. */
export const uploadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Hand the raw stream to the route instead of buffering it (the size limit is enforced while streaming).
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  app.addContentTypeParser('*', (_req, _payload, done) => done(new UnsupportedMediaTypeError('uploads must be sent as application/octet-stream'), undefined));

  // Clients ask first: a server that refuses a body early (413) closes the connection mid-send.
  app.get('/uploads/limits', {
    schema: {
      operationId: 'getUploadLimits', summary: 'Upload limits, so a client can refuse a too-large bundle before sending it', tags: ['uploads'],
      response: { 200: Type.Object({ maxUploadBytes: Type.Integer() }, { description: 'The limits, in bytes' }) },
    },
  }, async () => ({ maxUploadBytes: app.store.context.settings.maxUploadBytes }));

  app.post('/uploads', {
    onRequest: app.requireAccount,
    // The body is streamed, not parsed, so it is described for the OpenAPI document only (a body schema would validate the stream).
    config: {
      swaggerTransform: ({ schema, url }) => ({
        url,
        schema: { ...schema, consumes: ['application/octet-stream'], body: { type: 'string', format: 'binary', description: 'the bundle file, as `skiff pack` wrote it' } },
      }),
    },
    schema: {
      operationId: 'uploadBundle', summary: 'Upload a bundle; the store validates it and assigns the next revision', tags: ['uploads'], security: [{ token: [] }],
      description: `Body: the bundle (application/octet-stream). Headers: ${KEY_ID_HEADER} (a key registered to the account) and ` +
        `${SIGNATURE_HEADER} (hex ed25519 signature over the canonical JSON of {name, sha256, size}).`,
      headers: Type.Object({
        [KEY_ID_HEADER]: Type.String({ pattern: '^[0-9a-f]{64}$' }),
        [SIGNATURE_HEADER]: Type.String({ pattern: '^[0-9a-fA-F]{128}$' }),
        'content-length': Type.Optional(Type.Integer({ minimum: 0 })),
      }),
      response: { 201: ref(UploadReply, 'The bundle is valid and signed: a new revision'), ...errors(400, 401, 403, 408, 409, 413, 415, 429) },
    },
  }, async (req, reply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/octet-stream') throw new UnsupportedMediaTypeError('uploads must be sent as application/octet-stream');
    if (req.body === undefined) throw new BadRequestError('the upload is empty', 'bundle-invalid');
    const declared = req.headers['content-length'];
    const result = await app.store.uploads.upload({
      account: req.account,
      body: req.body as Readable, // the octet-stream parser above hands the raw stream over
      ...(declared !== undefined ? { declaredBytes: Number(declared) } : {}),
      keyId: req.headers[KEY_ID_HEADER],
      signature: req.headers[SIGNATURE_HEADER].toLowerCase(),
    });
    reply.code(201);
    return result;
  });
};
