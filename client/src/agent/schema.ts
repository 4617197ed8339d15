// Route schemas for the OpenAPI document: every route names its operationId and describes its answers.
import type { FastifySchema } from 'fastify';

/** Any JSON object (answers are built by the same code as `skiff --json`; their shape is documented there). */
export const anyObject = { type: 'object', additionalProperties: true } as const;
export const objectList = { type: 'array', items: anyObject } as const;

const errorBody = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
} as const;

/** 202: the change an asynchronous request started. */
export const changeStarted = { description: 'the change started: follow it at GET /v1/changes/{id}', type: 'object', properties: { change: { type: 'integer' } }, required: ['change'] } as const;

/** A route's schema: operationId, summary, described answers (and the error answer every route may give). */
export function route(operationId: string, summary: string, answers: Record<number, { description: string } & object>,
  input: Pick<FastifySchema, 'params' | 'querystring' | 'body'> = {}): FastifySchema & { operationId: string; summary: string } {
  const response: Record<string, unknown> = {
    '4xx': { description: 'refused: {"error": {"code", "message"}} with the codes of the skiff CLI', ...errorBody },
    '5xx': { description: 'failed: {"error": {"code", "message"}}', ...errorBody },
  };
  for (const [status, schema] of Object.entries(answers)) response[status] = schema;
  return { operationId, summary, response, ...input };
}

export const nameParam = { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['name'] } as const;
export const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
