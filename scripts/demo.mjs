#!/usr/bin/env node
// The Skiff demo: runs the real `skiff` command, step by step, in a temporary folder.
// `npm run demo` builds first. Set SKIFF_DEMO_KEEP=1 to keep the folder afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const skiffBin = join(top, 'client', 'bin', 'skiff');
const storeBin = join(top, 'store-server', 'bin', 'skiff-store');
const work = mkdtempSync(join(tmpdir(), 'skiff-demo-'));
// Keys and config of the demo stay in its own folder, never in the user's home.
const env = { ...process.env, XDG_CONFIG_HOME: join(work, 'config') };
// The device part: a temporary store and a device root inside the demo folder.
const device = join(work, 'device');
let store = null;

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

/** Runs `skiff ARGS` where failing is the point of the step; echoes it and returns the exit status. */
function skiffMayFail(...args) {
  console.log(`$ skiff ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [skiffBin, ...args], { encoding: 'utf8', env, cwd: work });
  if (r.stdout.trim()) process.stdout.write(indent(r.stdout));
  if (r.stderr.trim()) process.stdout.write(indent(r.stderr));
  console.log(`  (exit status ${r.status})`);
  return r.status;
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

  await deviceDemo();

  console.log('\nDemo finished.');
} catch (err) {
  console.error(`\ndemo: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await stopDevice();
  if (process.env.SKIFF_DEMO_KEEP) console.log(`(kept ${work})`);
  else rmSync(work, { recursive: true, force: true });
}

// ---- The device: a temporary store and device root; install, run, a broken refresh rolled back, refresh, revert.

/** A copy of examples/hello at `version`, optionally with a check-health hook that fails; returns the packed bundle. */
function helloAt(version, healthy) {
  const src = join(work, `hello-${version}`);
  cpSync(join(top, 'examples', 'hello'), src, { recursive: true });
  const manifest = join(src, 'meta', 'app.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^version: .*$/m, `version: '${version}'`));
  if (!healthy) writeFileSync(join(src, 'meta', 'hooks', 'check-health'), '#!/bin/sh\necho "hello 1.1: health check failed on purpose" >&2\nexit 1\n');
  return lastLine(skiff('pack', src, '-o', join(work, `dist-${version}`)));
}

/** Uploads a bundle with the real publisher verbs, signed with the demo key, and releases it to stable. */
function publish(bundle) {
  const out = skiff('upload', bundle, '--key', 'demo', '--release', 'stable');
  return Number(/revision (\d+)/.exec(out)[1]);
}

/** Runs `skiff-store ARGS` and returns its last line (init: the root to trust; account add: the token). */
function skiffStore(...args) {
  console.log(`$ skiff-store ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [storeBin, ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`skiff-store ${args[0]} failed: ${r.stderr}`);
  return lastLine(r.stdout);
}

/** A free TCP port on 127.0.0.1 for the demo store. */
async function freePort() {
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts `skiff-store serve` in the background and waits until /healthz answers. */
async function startStore() {
  const data = join(work, 'store');
  const rootJson = skiffStore('init', '--data', data);
  const token = skiffStore('account', 'add', 'demo', '--data', data);
  const url = `http://127.0.0.1:${await freePort()}`;
  console.log(`$ skiff-store serve --data ${data} --listen ${url.slice(7)} &`);
  const child = spawn(process.execPath, [storeBin, 'serve', '--data', data, '--listen', url.slice(7), '--log-level', 'warn'], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${url}/healthz`)).ok) return { url, rootJson, token, child }; } catch { /* not yet */ }
    await sleep(50);
  }
  child.kill();
  throw new Error('the store did not start');
}

async function deviceDemo() {
  if (process.getuid?.() !== 0) {
    console.log('\n(the device part of the demo mounts bundles and runs confined apps: run it as root)');
    return;
  }
  step('Start a temporary store on 127.0.0.1 and register as its publisher');
  store = await startStore();
  env.SKIFF_STORE = store.url;
  env.SKIFF_TOKEN = store.token;
  console.log(`  store at ${store.url}; devices will trust ${store.rootJson}`);
  skiff('key', 'register', 'demo');
  skiff('register', 'hello');

  step('Set up a device under a temporary root');
  env.SKIFF_ROOT = device; // every device verb below works under it, never on the host
  console.log(`  SKIFF_ROOT=${device}`);
  skiff('setup', '--store', store.url, '--trust', store.rootJson);

  step('Publish hello 1.0');
  publish(helloAt('1.0', true));

  step('Install it: download verified through TUF, mount read-only, switch `current`, check health');
  skiff('install', 'hello');
  skiff('list');

  step('Run it, confined');
  skiff('run', 'hello');

  step('Publish hello 1.1, whose check-health hook fails');
  const bad = publish(helloAt('1.1', false));

  step('Refresh: 1.1 is switched in, fails its health check, and is rolled back automatically');
  skiffMayFail('refresh', 'hello');
  skiff('list');
  const changes = JSON.parse(spawnSync(process.execPath, [skiffBin, 'changes', '--json'], { encoding: 'utf8', env }).stdout);
  skiff('tasks', String(changes.at(-1).id));

  step(`Refresh again: revision ${bad} is blocked, so nothing is offered`);
  skiff('refresh', '--list');
  skiff('refresh');

  step('Publish hello 1.2 and refresh to it');
  publish(helloAt('1.2', true));
  skiff('refresh');
  skiff('list', '--all');
  skiff('run', 'hello');

  step('Revert to 1.0 with its own data, untouched; 1.2 is blocked from automatic refresh');
  skiff('revert', 'hello');
  skiff('info', 'hello');
  skiff('run', 'hello');
  skiff('changes');

  await servicesDemo();
}

/** A copy of examples/greeter at `version`; crashAfter (seconds) makes its service exit 1 that long after start. */
function greeterAt(version, crashAfter) {
  const src = join(work, `greeter-${version}`);
  cpSync(join(top, 'examples', 'greeter'), src, { recursive: true });
  const manifest = join(src, 'meta', 'app.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^version: .*$/m, `version: '${version}'`));
  if (crashAfter) writeFileSync(join(src, 'crash-after'), `${crashAfter}\n`);
  return lastLine(skiff('pack', src, '-o', join(work, `dist-greeter-${version}`)));
}

/** GET http://127.0.0.1:8642/ as curl would; waits up to 10 s for a service that is still starting. */
async function curlGreeter() {
  console.log('$ curl http://127.0.0.1:8642/');
  for (let i = 0; i < 200; i++) {
    try {
      const text = await (await fetch('http://127.0.0.1:8642/')).text();
      process.stdout.write(indent(text));
      return text;
    } catch { await sleep(50); }
  }
  throw new Error('greeter does not answer');
}

async function servicesDemo() {
  step('Services: publish examples/greeter 1.0, an HTTP service, and install it');
  skiff('register', 'greeter');
  publish(greeterAt('1.0', 0));
  // A simple service counts as up once it has run this long (default 10 s; shorter for the demo).
  skiff('config', 'set', 'services.settle-ms', '4000');
  skiff('install', 'greeter');
  console.log('  (install started the service, but it may not listen until network-bind is connected)');
  skiff('connect', 'greeter:network-bind');
  skiff('restart', 'greeter');
  skiff('services');
  await curlGreeter();

  step('Publish greeter 1.1, whose service crashes two seconds after it starts');
  const broken = publish(greeterAt('1.1', 2));

  step(`Refresh: revision ${broken} is switched in, its service dies before it counts as up, and all is undone`);
  skiffMayFail('refresh', 'greeter');
  skiff('services');
  skiff('list');
  await curlGreeter();
  skiff('logs', 'greeter', '-n', '5');
}

/** Removes the demo app (unmounting its revisions) and stops the store, whatever happened. */
async function stopDevice() {
  if (!store) return;
  for (const app of ['hello', 'greeter']) spawnSync(process.execPath, [skiffBin, '--root', device, 'remove', app, '--purge'], { env, stdio: 'ignore' });
  // Anything still mounted under the device root (a step that failed half-way) is unmounted too.
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4])
    .filter((m) => m && m.startsWith(device + '/')).sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  store.child.kill('SIGTERM');
  await new Promise((resolve) => store.child.once('exit', resolve));
}
