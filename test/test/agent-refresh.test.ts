// Automatic refresh as skiffd hosts it, driven by the thin skiff through the API: a refresh.timer set through
// the agent is planned again at once (replan), holds set through the agent show in GET /v1/system and in
// `skiff refresh --time`, and a manual refresh of every app through the agent leaves a held one alone.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { publishBundle } from '../src/store';
import { closeDeviceWorld, makeBundle, openSetUpWorld, rootSkipReason, skiffAsync, viewDevice, type DeviceWorld } from '../src/device-fixture';
import { SkiffdProcess, until } from '../src/skiffd-process';
import type { RefreshTimes } from '@skiff/client/dist/src/device/autorefresh/times';

/** Local HH:MM of a time (the timer is in the device's local time). */
const hhmm = (t: Date): string => `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
const MINUTE_MS = 60_000;

describe('skiffd hosts automatic refresh; skiff drives it through the API', { skip: rootSkipReason() }, () => {
  let world: Partial<DeviceWorld> = {};
  let agent: SkiffdProcess | undefined;
  before(async () => { world = await openSetUpWorld('agent-refresh'); });
  after(async () => { await agent?.stop(); await closeDeviceWorld(world); });

  const ok = async (args: string[]): Promise<string> => {
    const r = await skiffAsync(world.root!, args);
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const publish = async (name: string, version: string): Promise<number> =>
    (await publishBundle(world.store!, await makeBundle(world.work!, { name, version }), { channel: 'stable' })).revision;

  test('holds and the timer set through skiffd: shown by /v1/system, a manual refresh skips the held app, a timer set now checks at once', async () => {
    const { root } = world as DeviceWorld;
    await publish('ag-free', '1.0');
    const held1 = await publish('ag-held', '1.0');
    await ok(['install', 'ag-free']);
    await ok(['install', 'ag-held']);
    // A window twelve hours away: skiffd plans its first check far off.
    const far = new Date(Date.now() + 12 * 60 * MINUTE_MS);
    await ok(['config', 'set', 'refresh.timer', `${hhmm(far)}-${hhmm(new Date(far.getTime() + MINUTE_MS))}`]);
    agent = await SkiffdProcess.start(root);

    assert.equal((await ok(['refresh', '--hold', '2h', 'ag-held'])).trim().replace(/until \S+/, 'until T'), 'ag-held: automatic refresh held until T');
    const system = await agent.api.call<{ refresh: RefreshTimes }>('GET', '/v1/system');
    assert.deepEqual(system.refresh.holds.apps.map((h) => h.name), ['ag-held']);
    assert.ok(Date.parse(system.refresh.next!) > Date.now() + 60 * MINUTE_MS, 'the next check is hours away');
    const times = JSON.parse(await ok(['refresh', '--time', '--json'])) as RefreshTimes;
    assert.deepEqual(times, system.refresh, 'skiff refresh --time shows what the agent reports');

    const free2 = await publish('ag-free', '2.0');
    const held2 = await publish('ag-held', '2.0');
    const manual = await ok(['refresh']);
    assert.match(manual, /ag-held is held until \S+; not refreshed \(name it, or `skiff refresh --unhold ag-held`\)/);
    assert.match(manual, /ag-free 2.0 \(revision \d+\) refreshed/);
    assert.deepEqual([viewDevice(root, 'ag-free').current, viewDevice(root, 'ag-held').current], [free2, held1]);

    // A window that began a minute ago, set through the agent: it plans again at once and checks now,
    // not when the far-off plan (or the module's longest sleep, 10 minutes) comes round.
    const free3 = await publish('ag-free', '3.0');
    const mark = agent.lines().length;
    const now = Date.now();
    await ok(['config', 'set', 'refresh.timer', `${hhmm(new Date(now - MINUTE_MS))}-${hhmm(new Date(now + 30 * MINUTE_MS))}`]);
    const check = await until('a check', () => agent!.lines().slice(mark).find((l) => l.event === 'refresh-check'), 2 * MINUTE_MS);
    assert.deepEqual([check.held, check.outcomes], [['ag-held'], [{ app: 'ag-free', status: 'refreshed' }]]);
    assert.deepEqual([viewDevice(root, 'ag-free').current, viewDevice(root, 'ag-held').current], [free3, held1]);

    // Unheld through the agent: named, it is refreshed by hand at once.
    assert.equal((await ok(['refresh', '--unhold', 'ag-held'])).trim(), 'ag-held: automatic refresh no longer held');
    assert.deepEqual((await agent.api.call<{ refresh: RefreshTimes }>('GET', '/v1/system')).refresh.holds.apps, []);
    assert.match(await ok(['refresh', 'ag-held']), /ag-held 2.0 \(revision \d+\) refreshed/);
    assert.equal(viewDevice(root, 'ag-held').current, held2);
  });
});
