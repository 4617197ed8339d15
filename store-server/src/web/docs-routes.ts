import type { FastifyPluginAsync } from 'fastify';
import type { SessionStore } from './sessions';

interface OpenApiOperation {
  operationId?: string; summary?: string; description?: string; tags?: string[]; security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown; description?: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown> };
}

/** A schema as one line for a table: a named schema by its name, anything else as compact JSON. */
function schemaText(schema: unknown): string {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  if (ref) return ref.replace('#/components/schemas/', '');
  return JSON.stringify(schema);
}

/** The OpenAPI document as a page: every operation with its parameters, body and responses, then the named schemas. */
export function apiDocsView(doc: OpenApiDocument) {
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
    id: op.operationId ?? `${method}-${path}`, method: method.toUpperCase(), path,
    summary: op.summary ?? '', description: op.description ?? '', tag: op.tags?.[0] ?? 'other', needsToken: (op.security?.length ?? 0) > 0,
    parameters: (op.parameters ?? []).map((p) => ({ name: p.name, in: p.in, required: p.required === true, schema: schemaText(p.schema), description: p.description ?? '' })),
    body: Object.entries(op.requestBody?.content ?? {}).map(([type, c]) => ({ type, schema: schemaText(c.schema) })),
    responses: Object.entries(op.responses).map(([status, r]) => ({
      status, description: r.description, schema: Object.values(r.content ?? {}).map((c) => schemaText(c.schema))[0] ?? '',
    })),
  })));
  const schemas = Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => ({ name, json: JSON.stringify(schema, null, 2) }));
  return { info: doc.info, operations, schemas };
}

/** /docs/api: the JSON API for people, rendered on the server from /v1/openapi.json. */
export const apiDocsPage: FastifyPluginAsync<{ sessions: SessionStore }> = async (app) => {
  let view: ReturnType<typeof apiDocsView> | undefined;
  app.get('/docs/api', async (_req, reply) => {
    // The document is fixed once the server is ready: built on the first visit, then kept.
    view ??= apiDocsView(app.swagger() as unknown as OpenApiDocument);
    return reply.view('api-docs', { title: 'API', ...view });
  });
};
