// How both Skiff commands (skiff, skiff-store) end: one contract for exit statuses and for a command
// line they cannot parse (one line, a "did you mean" where there is one, exit status 2).
import { SkiffError } from './errors';

/** Exit statuses of `skiff` and `skiff-store`, documented in docs/design.md. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2 });

/** The shape of commander's CommanderError, without importing commander into the bundle part. */
interface ParseError { code: string; exitCode: number; message: string }

function isParseError(err: unknown): err is ParseError {
  if (!(err instanceof Error)) return false;
  const { code, exitCode } = err as Error & { code?: unknown; exitCode?: unknown };
  return typeof code === 'string' && code.startsWith('commander.') && typeof exitCode === 'number';
}

/**
 * Turns a commander parse error into one line and its exit status; null for anything else. Help and
 * --version end with status 0 and print nothing more (commander printed them already).
 */
export function describeParseError(err: unknown, command: string): { line: string | null; status: number } | null {
  if (!isParseError(err)) return null;
  if (err.exitCode === 0) return { line: null, status: EXIT.ok };
  // No verb at all: commander printed the help to stderr already.
  if (err.code === 'commander.help') return { line: null, status: EXIT.usage };
  // commander's text is "error: unknown command 'instal'\n(Did you mean install?)": fold it into one line.
  const [first, ...rest] = err.message.replace(/^error: /, '').split('\n').map((s) => s.trim()).filter(Boolean);
  const hint = rest.map((s) => s.replace(/^\((.*)\)$/, '$1').replace(/^Did/, 'did')).join('; ');
  return { line: `${command}: ${first ?? 'bad command line'}${hint ? ` (${hint})` : ''}; see ${command} --help`, status: EXIT.usage };
}

/**
 * Prints why a command failed: one line on stderr, or {"error": {code, message}} on stdout with --json.
 * Returns the exit status: 2 for a command line that does not parse and for the `usage` code (and
 * `usageCodes`), 1 for every other failure.
 */
export function reportCommandError(err: unknown, command: string, opts: { json: boolean; usageCodes?: readonly string[] }): number {
  const parse = describeParseError(err, command);
  if (parse) {
    if (parse.line) process.stderr.write(parse.line + '\n');
    return parse.status;
  }
  const code = err instanceof SkiffError ? err.code : 'internal-error';
  const message = err instanceof Error ? err.message : String(err);
  if (opts.json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  else process.stderr.write(`${command}: ${message}\n`);
  if (!(err instanceof SkiffError) && process.env.SKIFF_DEBUG) console.error(err);
  const usage = err instanceof SkiffError && (err.code === 'usage' || (opts.usageCodes ?? []).includes(err.code));
  return usage ? EXIT.usage : EXIT.failure;
}
