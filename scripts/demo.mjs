#!/usr/bin/env node
// The Skiff demo: runs the real `skiff` command, step by step, in a temporary folder.
// `npm run demo` builds first. Set SKIFF_DEMO_KEEP=1 to keep the folder afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const skiffBin = join(top, 'client', 'bin', 'skiff');
const work = mkdtempSync(join(tmpdir(), 'skiff-demo-'));
// Keys and config of the demo stay in its own folder, never in the user's home.
const env = { ...process.env, XDG_CONFIG_HOME: join(work, 'config') };

let stepNo = 0;
/** Prints a numbered step title. */
function step(title) {
  console.log(`\n== ${++stepNo}. ${title}`);
}

/** Runs `skiff ARGS`, echoing the command and its output; stops the demo if it fails. Returns stdout. */
function skiff(...args) {
  console.log(`$ skiff ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [skiffBin, ...args], { encoding: 'utf8', env, cwd: work });
  if (r.stdout.trim()) process.stdout.write(indent(r.stdout));
  if (r.stderr.trim()) process.stderr.write(indent(r.stderr));
  if (r.status !== 0) throw new Error(`skiff ${args[0]} failed (exit ${r.status})`);
  return r.stdout;
}

const indent = (text) => text.trimEnd().replace(/^/gm, '  ') + '\n';
const lastLine = (text) => text.trimEnd().split('\n').pop();

try {
  console.log(`Skiff demo in ${work}`);

  step('Pack examples/hello into a reproducible bundle');
  const bundle = lastLine(skiff('pack', join(top, 'examples', 'hello'), '-o', join(work, 'dist')));

  step('Pack it again: the same tree gives the same bytes');
  const again = lastLine(skiff('pack', join(top, 'examples', 'hello'), '-o', join(work, 'dist-again')));
  const same = spawnSync('cmp', [bundle, again]).status === 0;
  console.log(same ? '  identical' : '  DIFFERENT');
  if (!same) throw new Error('packing is not reproducible');

  step('Inspect the bundle without mounting it');
  skiff('inspect', bundle);

  step('Create a publisher signing key');
  skiff('key', 'create', 'demo');
  skiff('key', 'list');

  console.log('\nDemo finished.');
} catch (err) {
  console.error(`\ndemo: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  if (process.env.SKIFF_DEMO_KEEP) console.log(`(kept ${work})`);
  else rmSync(work, { recursive: true, force: true });
}
