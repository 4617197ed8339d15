// skiffd as a real process on a real device (root, real store on 127.0.0.1, real mounts): one agent per
// root, SIGTERM, who may do what (SO_PEERCRED), many readers beside a change, and SIGKILL mid-refresh.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceLayout } from '@skiff/bundle';
import { publishBundle } from '../src/store';
import { openTerminal, terminalSkipReason } from '../src/terminal';
import {
  SKIFF, SKIFFD, agentOf, checkOldOrNew, closeDeviceWorld, makeBundle, openSetUpWorld, rootSkipReason, skiffAsync,
  startAgentSync, stopAgentSync, processRunning, type DeviceWorld,
} from '../src/device-fixture';

const skip = rootSkipReason();
const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups'];
let world: DeviceWorld | undefined;

before(async () => {
  if (skip) return;
  world = await openSetUpWorld('agent');
  // The socket is 0666; the folders above it must let other users reach it (mkdtemp makes them 0700).
  chmodSync(world.work, 0o755);
  chmodSync(world.root, 0o755);
  if (!agentOf(world.root)) startAgentSync(world.root);
});
after(async () => { await closeDeviceWorld(world ?? {}); });

/** One request to skiffd as the given user (a node one-liner run through setpriv for nobody). */
function apiAs(user: 'root' | 'nobody', method: string, path: string, body?: unknown): { status: number; body: { error?: { code: string; message: string } } } {
  const script = `const r=require('http').request({socketPath:process.argv[1],method:process.argv[2],path:process.argv[3],headers:{'content-type':'application/json'}},(res)=>{let b='';res.on('data',(d)=>b+=d);res.on('end',()=>console.log(JSON.stringify({status:res.statusCode,body:JSON.parse(b)})))});r.end(process.argv[4]||undefined)`;
  const argv = [process.execPath, '-e', script, new DeviceLayout(world!.root).agentSocket, method, path, body === undefined ? '' : JSON.stringify(body)];
  const r = user === 'root' ? spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }) : spawnSync('setpriv', [...NOBODY, ...argv], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { status: number; body: { error?: { code: string; message: string } } };
}

/** Why the non-root tests skip: nobody must be able to run this checkout's skiff. */
function nobodySkipReason(): string | false {
  if (skip) return skip;
  const r = spawnSync('setpriv', [...NOBODY, process.execPath, '-e', `require(${JSON.stringify(SKIFF.replace(/bin\/skiff$/, 'dist/src/cli.js'))})`], { encoding: 'utf8' });
  return r.status === 0 ? false : `the checkout is not readable by nobody (uid 65534): ${r.stderr.trim().split('\n')[0]}`;
}

/** GET on skiffd, asynchronously (the test's own event loop keeps running). */
function apiGet<T>(root: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request({ socketPath: new DeviceLayout(root).agentSocket, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve(JSON.parse(body) as T));
    }).on('error', reject).end();
  });
}

/** Waits until a change whose summary includes `what` is running (or the command that would start it ended). */
async function untilRunning(root: string, what: string, command: Promise<unknown>): Promise<void> {
  let ended = false;
  void command.then(() => { ended = true; });
  while (!ended) {
    const changes = await apiGet<{ summary: string; status: string }[]>(root, '/v1/changes');
    if (changes.some((c) => c.summary.includes(what) && c.status === 'doing')) return;
    await sleep(10);
  }
}

const publish = async (name: string, version: string, randomBytes = 0): Promise<number> =>
  (await publishBundle(world!.store, await makeBundle(world!.work, { name, version, randomBytes }), { channel: 'stable' })).revision;

describe('skiffd', { skip }, () => {
  test('a second agent for the same root is refused, naming the first one\'s pid', () => {
    const first = agentOf(world!.root)!;
    const r = spawnSync(process.execPath, [SKIFFD, '--root', world!.root], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `skiffd: another skiffd (pid ${first.pid}) serves the device under ${world!.root}; stop it first\n`);
    assert.ok(processRunning(first.pid), 'the first agent still runs');
    assert.equal(apiAs('root', 'GET', '/v1/system').status, 200);
  });

  test('every route of the OpenAPI document has an operationId and described answers', () => {
    const doc = apiAs('root', 'GET', '/v1/openapi.json').body as unknown as { paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, { description?: string }> }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ route: `${method} ${path}`, op })));
    assert.ok(ops.length >= 18, `${ops.length} routes`);
    for (const { route, op } of ops) {
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${route} has an operationId`);
      const answers = Object.entries(op.responses ?? {}).filter(([status]) => /^2/.test(status));
      assert.ok(answers.length > 0 && answers.every(([, a]) => (a.description ?? '').length > 0), `${route} describes its answers`);
    }
    assert.equal(new Set(ops.map((o) => o.op.operationId)).size, ops.length, 'operationIds are unique');
  });

  test('a non-root caller can read, and every change, connect and config it asks is refused in one line before any task', { skip: nobodySkipReason() }, async () => {
    const { root } = world!;
    await publish('agentro', '1.0');
    assert.equal((await skiffAsync(root, ['install', 'agentro'])).status, 0);
    const changesBefore = (await skiffAsync(root, ['changes', '--json'])).stdout;
    const asNobody = (args: string[]) => spawnSync('setpriv', [...NOBODY, process.execPath, SKIFF, '--root', root, ...args], { encoding: 'utf8', timeout: 60_000 });
    const listed = asNobody(['list', '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as { name: string }[]).map((a) => a.name), ['agentro']);
    for (const args of [['info', 'agentro'], ['changes'], ['connections'], ['tasks', '1'], ['services'], ['refresh', '--time']]) {
      const r = asNobody(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    for (const args of [['install', 'agentro2'], ['refresh', 'agentro'], ['refresh'], ['remove', 'agentro'], ['revert', 'agentro'],
      ['connect', 'agentro:network'], ['config', 'set', 'refresh.retain', '3'], ['abort', '1'], ['refresh', '--hold', 'agentro'], ['refresh', '--unhold']]) {
      const r = asNobody(args);
      assert.equal(r.status, 1, `${args.join(' ')} is refused: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^skiff: (POST|PUT|GET) \/v1\/\S+ needs root: changes, config and logs are root's; run it as root\n$/, args.join(' '));
    }
    for (const [method, path, body] of [['POST', '/v1/apps', { name: 'agentro2' }], ['POST', '/v1/apps/agentro/remove', {}], ['PUT', '/v1/config/refresh.retain', { value: '3' }],
      ['POST', '/v1/services', { action: 'start', names: ['agentro'] }], ['GET', '/v1/logs?names=agentro', undefined], ['POST', '/v1/refresh/hold', { names: ['agentro'] }]] as const) {
      const r = apiAs('nobody', method, path, body);
      assert.equal(r.status, 403);
      assert.equal(r.body.error?.code, 'not-root');
    }
    assert.equal((await skiffAsync(root, ['changes', '--json'])).stdout, changesBefore, 'no change was made, not even one refused later');
    assert.doesNotMatch(readFileSync(agentOf(root)!.log, 'utf8'), /agentro2/, 'skiffd never started anything for them');
    assert.equal((await skiffAsync(root, ['remove', 'agentro', '--purge'])).status, 0);
  });

  test('ten clients listing while one installs (and another app installs beside it) are all answered', async () => {
    const { root } = world!;
    await publish('agentbig', '1.0', 24 * 1024 * 1024);
    await publish('agentsmall', '1.0');
    const install = skiffAsync(root, ['install', 'agentbig']);
    // Another app's change runs beside it (one change per app, not per device).
    const beside = skiffAsync(root, ['install', 'agentsmall']);
    let done = false;
    void install.then(() => { done = true; });
    let rounds = 0;
    while (!done || rounds === 0) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => skiffAsync(root, ['list', '--json'])));
      for (const a of answers) assert.equal(a.status, 0, a.stderr);
      rounds++;
    }
    const r = await install;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^agentbig 1\.0 \(revision \d+\) installed from latest\/stable\n$/);
    console.log(`# ${rounds} rounds of 10 listings answered during the install`);
    const small = await beside;
    assert.equal(small.status, 0, small.stderr);
    for (const app of ['agentbig', 'agentsmall']) assert.equal((await skiffAsync(root, ['remove', app, '--purge'])).status, 0);
  });

  test('skiff watch follows a change another command started: a line per task status, then the change', async () => {
    const { root, store, work } = world!;
    const release = async (version: string) => (await publishBundle(store, await makeBundle(work, { name: 'agentwatch', version, preRefresh: 'sleep 1' }), { channel: 'stable' })).revision;
    const r1 = await release('1.0');
    assert.equal((await skiffAsync(root, ['install', 'agentwatch'])).status, 0);
    const r2 = await release('1.1');
    const refresh = skiffAsync(root, ['refresh', 'agentwatch']);
    const what = `Refresh agentwatch from revision ${r1} to ${r2} `;
    await untilRunning(root, what, refresh);
    const id = (await apiGet<{ id: number; summary: string }[]>(root, '/v1/changes')).find((c) => c.summary.includes(what))!.id;
    const watched = await skiffAsync(root, ['watch', String(id)]);
    assert.equal(watched.status, 0, watched.stderr);
    assert.match(watched.stdout, new RegExp(`^change ${id} \\(done\\): Refresh agentwatch from revision \\d+ to ${r2}`));
    assert.match(watched.stderr, /^done +.+$/m, 'task lines on stderr');
    assert.equal((await refresh).status, 0);
    const missing = await skiffAsync(root, ['watch', '999999']);
    assert.equal(missing.stderr, 'skiff: no change with id 999999\n');
    assert.equal((await skiffAsync(root, ['remove', 'agentwatch', '--purge'])).status, 0);
  });

  test('Ctrl-C on a terminal asks whether to abort the change; yes undoes it', { skip: terminalSkipReason() }, async () => {
    const { root, store, work } = world!;
    const release = async (version: string) => (await publishBundle(store, await makeBundle(work, { name: 'agenttty', version, preRefresh: 'sleep 60' }), { channel: 'stable' })).revision;
    const r1 = await release('1.0');
    assert.equal((await skiffAsync(root, ['install', 'agenttty'])).status, 0);
    const r2 = await release('1.1');
    const term = openTerminal([process.execPath, SKIFF, '--root', root, 'refresh', 'agenttty']);
    try {
      const what = `Refresh agenttty from revision ${r1} to ${r2} `;
      await untilRunning(root, what, term.done);
      const id = (await apiGet<{ id: number; summary: string }[]>(root, '/v1/changes')).find((c) => c.summary.includes(what))!.id;
      const until = async (re: RegExp) => { for (let i = 0; i < 1500 && !re.test(term.screen()); i++) await sleep(20); assert.match(term.screen(), re); };
      term.type('\x03');
      await until(new RegExp(`Abort change ${id} \\(Refresh agenttty from revision ${r1} to ${r2} .*\\)\\? \\[y/N\\] `));
      term.type('y\r');
      await until(new RegExp(`skiff: interrupted; undoing change ${id}`));
      assert.notEqual(await term.done, 0);
      assert.match(term.screen(), /failed and was undone: aborted/);
      const listed = JSON.parse((await skiffAsync(root, ['list', '--json'])).stdout) as { name: string; revision: number }[];
      assert.deepEqual(listed.filter((a) => a.name === 'agenttty').map((a) => a.revision), [r1], 'still on the old revision');
    } finally {
      term.kill();
      await term.done;
      assert.equal((await skiffAsync(root, ['remove', 'agenttty', '--purge'])).status, 0);
    }
  });

  test('SIGKILL of skiffd during refreshes started through the API: the restarted agent finds the old or the new state', async () => {
    const { root } = world!;
    const versions = new Map<number, string>();
    const r1 = await publish('agentkill', '1.0', 2 * 1024 * 1024);
    versions.set(r1, '1.0');
    assert.equal((await skiffAsync(root, ['install', 'agentkill'])).status, 0);
    let state = { current: r1, retained: [r1] };
    const ROUNDS = 8;
    for (let i = 1; i <= ROUNDS; i++) {
      const version = `1.${i}`;
      const next = await publish('agentkill', version, 2 * 1024 * 1024);
      versions.set(next, version);
      const refresh = skiffAsync(root, ['refresh', 'agentkill']);
      // Kill at a different moment each round: one round in three before the change exists, the others
      // from its first task to well into it.
      if (i % 3 !== 1) await untilRunning(root, `Refresh agentkill from revision ${state.current} to ${next} `, refresh);
      await sleep((i * 97) % 400);
      stopAgentSync(root, 'SIGKILL');
      await refresh;
      startAgentSync(root);
      const retained = [...new Set([...state.retained, state.current, next])].sort((a, b) => a - b).slice(-2);
      state = await checkOldOrNew(root, 'agentkill', `round ${i}`, [state, { current: next, retained }], versions) as typeof state;
    }
    assert.equal((await skiffAsync(root, ['remove', 'agentkill', '--purge'])).status, 0);
  });

  test('SIGTERM mid-refresh: the running task ends, skiffd exits 0 within 10 s, the next one undoes the change', async () => {
    const { root, store, work } = world!;
    stopAgentSync(root);
    const layout = new DeviceLayout(root);
    const child = spawn(process.execPath, [SKIFFD, '--root', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { log += d; });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    try {
      for (let i = 0; i < 1500 && !log.includes('skiffd listening'); i++) await sleep(20);
      assert.match(log, /skiffd listening/);
      // The installed revision's pre-refresh hook takes a while: SIGTERM lands while that task runs.
      const release = async (version: string) => (await publishBundle(store, await makeBundle(work, { name: 'agentterm', version, preRefresh: 'sleep 2' }), { channel: 'stable' })).revision;
      const r1 = await release('1.0');
      assert.equal((await skiffAsync(root, ['install', 'agentterm'])).status, 0);
      const r2 = await release('1.1');
      const refresh = skiffAsync(root, ['refresh', 'agentterm']);
      await untilRunning(root, `Refresh agentterm from revision ${r1} to ${r2} `, refresh);
      await sleep(300);
      child.kill('SIGTERM');
      // 10 s is the unit's TimeoutStopSec: past it systemd would SIGKILL (the deadline is the contract).
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code, signal] = await exited;
      clearTimeout(killer);
      assert.deepEqual([code, signal], [0, null], log);
      for (const line of log.trim().split('\n')) JSON.parse(line); // JSON logs on stdout, one object a line
      assert.match(log, /"settled":true/, 'the running task reached its end before skiffd stopped');
      assert.ok(!existsSync(layout.agentSocket) && !existsSync(layout.agentPidFile), 'socket and pid file removed');
      const r = await refresh;
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^skiff: skiffd stopped while change \d+ ran; it is recovered when skiffd starts again/);
      startAgentSync(root);
      const last = (await apiGet<{ summary: string; status: string; error: string }[]>(root, '/v1/changes')).pop()!;
      assert.deepEqual([last.summary.includes(`Refresh agentterm from revision ${r1} to ${r2} `), last.status, last.error], [true, 'undone', 'interrupted before its commit point']);
      await checkOldOrNew(root, 'agentterm', 'after SIGTERM', [{ current: r1, retained: [r1] }], new Map([[r1, '1.0']]));
      assert.equal((await skiffAsync(root, ['remove', 'agentterm', '--purge'])).status, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (!agentOf(root)) startAgentSync(root);
    }
  });
});
