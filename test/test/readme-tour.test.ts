// The README's tour, typed as a newcomer would: every command line of its sh blocks, in order, in one
// bash, from the checkout; each line must exit 0. When the README and the code drift apart, this fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupRoot, rootSkipReason } from '../src/device-fixture';

const checkout = join(__dirname, '..', '..', '..');
const TOUR_PORT = 8080; // the port the tour names

/** The command lines of the tour: sh blocks between "## A tour of the CLI" and the next section. */
export function tourLines(readme: string): string[] {
  const start = readme.indexOf('## A tour of the CLI');
  assert.ok(start >= 0, 'the README has its tour');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'))
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('the README tour runs line by line, each line exiting 0, and writes nothing outside its scratch folder', { skip: rootSkipReason() }, async (t) => {
  if (!(await portFree(TOUR_PORT))) { t.skip(`port ${TOUR_PORT}, which the tour uses, is taken on this machine`); return; }
  const lines = tourLines(readFileSync(join(checkout, 'README.md'), 'utf8'));
  assert.ok(lines.length > 20, `the tour has its commands (${lines.length})`);
  const work = mkdtempSync(join(tmpdir(), 'skiff-tour-'));
  const statuses = join(work, 'statuses');
  // Each line as typed, then its exit status on fd 3 (the tour's own output goes to the log).
  const script = lines.map((line, i) => `${line}\necho "${i} $?" >&3`).join('\n') + '\n';
  writeFileSync(join(work, 'tour.sh'), script);
  const { SKIFF_ROOT: _r, SKIFF_STORE: _s, SKIFF_TOKEN: _t, SKIFF_STORE_DATA: _d, ...env } = process.env;
  const scratch = join(work, 'tmp');
  const bash = spawn('bash', ['--noprofile', '--norc', '-c', `mkdir -p '${scratch}'; exec bash --noprofile --norc '${join(work, 'tour.sh')}' 3>'${statuses}' > '${join(work, 'log')}' 2>&1`], {
    cwd: checkout, env: { ...env, TMPDIR: scratch }, detached: true, stdio: 'ignore',
  });
  try {
    await new Promise<void>((resolve) => bash.on('exit', () => resolve()));
    const log = readFileSync(join(work, 'log'), 'utf8');
    const got = new Map(readFileSync(statuses, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number]));
    lines.forEach((line, i) => assert.equal(got.get(i), 0, `README tour line ${i + 1}: ${line}\n--- its output so far:\n${log}`));
    assert.ok(!existsSync('/skiff') && !existsSync('/var/lib/skiff/state.db'), 'the tour left the host\'s / alone');
  } finally {
    try { process.kill(-bash.pid!, 'SIGKILL'); } catch { /* the group has ended */ }
    for (const dir of existsSync(scratch) ? readdirSync(scratch) : []) cleanupRoot(join(scratch, dir, 'device'));
    rmSync(work, { recursive: true, force: true });
  }
});
