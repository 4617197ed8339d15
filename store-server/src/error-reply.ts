import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError } from './errors';

/** Every error of the API, from the store, fastify, its plugins or Node's HTTP parser: `{error: {code, message}}`. */
export interface ErrorBody { error: { code: string; message: string } }

/** Codes for client errors raised by fastify, its plugins or Node rather than by the store. */
const CODE_OF_STATUS: Record<number, string> = {
  400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed', 406: 'not-acceptable',
  408: 'request-timeout', 413: 'too-large', 415: 'unsupported-media-type', 416: 'range-not-satisfiable', 429: 'too-many-requests',
  431: 'headers-too-large',
};

/** The status and body for an error; messages are shown for client errors only (a server error is logged instead). */
export function errorReply(err: FastifyError | Error): { status: number; body: ErrorBody } {
  if (err instanceof StoreError) return { status: err.statusCode, body: { error: { code: err.code, message: err.message } } };
  const fastifyError = err as FastifyError;
  if (fastifyError.validation) return { status: 400, body: { error: { code: 'bad-request', message: err.message } } };
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, body: { error: { code: CODE_OF_STATUS[status] ?? 'bad-request', message: err.message } } };
  return { status: 500, body: { error: { code: 'internal-error', message: 'internal server error' } } };
}

/** The error handler of routes and of fastify's own refusals (bad URL encoding, for one). */
export function sendError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = errorReply(err);
  if (status === 500) req.log.error({ err }, 'request failed');
  // A body left unread would keep the connection busy for as long as its sender trickles it.
  if (req.raw.complete === false) reply.header('connection', 'close');
  return reply.code(status).send(body);
}

/** Node's HTTP parser refusals (malformed request, headers too large or too slow), answered in the same shape. */
export function sendClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'request-timeout', 'the request did not arrive in the time allowed']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'the request headers are too large']
      : [400, 'bad-request', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
