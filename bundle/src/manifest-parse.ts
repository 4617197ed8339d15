import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import { ManifestError } from './errors';
import { checkManifest } from './manifest-check';
import { BUNDLE_LIMITS, MANIFEST_PATH } from './settings';
import { SERVICE_FIELDS, type HookName, type Manifest } from './types';

/**
 * Parses and validates meta/app.yaml. Errors name the field, the reason and the YAML line:
 * `meta/app.yaml: apps.hello.command (line 7): must be a relative path ...`.
 */
export function parseManifest(text: string, source: string = MANIFEST_PATH): Manifest {
  if (Buffer.byteLength(text) > BUNDLE_LIMITS.manifestMaxBytes) {
    throw new ManifestError(`${source}: larger than ${BUNDLE_LIMITS.manifestMaxBytes} bytes`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0].line;
    throw new ManifestError(`${source}${line ? ` (line ${line})` : ''}: not valid YAML: ${firstLine(syntax.message).replace(/ at line \d+, column \d+:?$/, '')}`, undefined, line);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: BUNDLE_LIMITS.manifestMaxAliases });
  } catch (err) {
    throw new ManifestError(`${source}: not valid YAML: ${firstLine((err as Error).message)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ManifestError(`${source}: must be a YAML map with name, version, summary and apps`, undefined, 1);
  }
  if (checkManifest(value)) {
    const service = serviceFieldProblem(value as Manifest);
    if (service) {
      const line = lineOf(doc, service.field.split('.'), lines);
      throw new ManifestError(`${source}: ${service.field}${line ? ` (line ${line})` : ''}: ${service.reason}`, service.field, line);
    }
    return normalize(value as Manifest);
  }
  const problems = schemaProblems(value, doc, lines);
  const first = problems[0];
  if (!first) throw new ManifestError(`${source}: does not match the manifest schema`);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  throw new ManifestError(`${source}: ${first.field}${first.line ? ` (line ${first.line})` : ''}: ${first.reason}${more}`, first.field, first.line);
}

interface Problem { field: string; reason: string; line: number | undefined; missing: boolean }

// One problem per field, those in the text first (by line), then missing fields.
// TypeBox loads here only, when a manifest is refused: checking a valid one needs the generated check alone.
function schemaProblems(value: unknown, doc: Document, lines: LineCounter): Problem[] {
  const { Value, ValueErrorType } = require('@sinclair/typebox/value') as typeof import('@sinclair/typebox/value');
  const { ManifestSchema } = require('./manifest-schema') as typeof import('./manifest-schema');
  const byField = new Map<string, Problem>();
  for (const e of Value.Errors(ManifestSchema, value)) {
    const segments = e.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const field = segments.join('.') || '(top level)';
    if (byField.has(field)) continue;
    const schema = e.schema as { hint?: string; patternProperties?: unknown };
    const missing = e.type === ValueErrorType.ObjectRequiredProperty;
    let reason: string;
    if (missing) reason = 'is required';
    else if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      reason = schema.patternProperties ? 'is not a valid name: use lowercase letters, digits and single dashes' : 'is not a known field';
    } else reason = schema.hint ?? e.message.toLowerCase();
    byField.set(field, { field, reason, line: lineOf(doc, segments, lines), missing });
  }
  return [...byField.values()].sort((a, b) => Number(a.missing) - Number(b.missing) || (a.line ?? 0) - (b.line ?? 0));
}

// Service fields on an app that is no service (or ready-timeout on one that never says READY=1) would be ignored: refuse them.
function serviceFieldProblem(m: Manifest): { field: string; reason: string } | null {
  for (const [name, app] of Object.entries(m.apps)) {
    for (const key of SERVICE_FIELDS) {
      if (app[key] === undefined) continue;
      if (!app.daemon) return { field: `apps.${name}.${key}`, reason: 'applies to services only: add daemon: simple, oneshot or notify' };
      if (key === 'ready-timeout' && app.daemon !== 'notify') return { field: `apps.${name}.${key}`, reason: 'applies to daemon: notify only' };
    }
  }
  return null;
}

// Hooks written as `check-health:` (null) become {} so callers see one shape.
function normalize(m: Manifest): Manifest {
  if (m.hooks) {
    for (const h of Object.keys(m.hooks) as HookName[]) m.hooks[h] = m.hooks[h] ?? {};
  }
  return m;
}

// The line of the deepest key (or list item) on the path that exists: a missing field points at its parent.
function lineOf(doc: Document, segments: string[], lines: LineCounter): number | undefined {
  let node: unknown = doc.contents;
  let line = isNode(node) && node.range ? lines.linePos(node.range[0]).line : undefined;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) line = lines.linePos(pair.key.range[0]).line;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (!isNode(item) || !item.range) break;
      line = lines.linePos(item.range[0]).line;
      node = item;
    } else break;
  }
  return line;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
