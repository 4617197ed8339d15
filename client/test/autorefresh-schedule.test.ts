// refresh.timer's grammar and the next window, from fixed dates (UTC: no DST in the way), and the settings' checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTime, nextWindow, parseTimer, DEFAULT_REFRESH_TIMER, TimerSyntaxError } from '../src/device/autorefresh/schedule';
import { holdActive, holdSettingProblem, holdUntil, parseHoldDuration } from '../src/device/autorefresh/holds';
import { checkSetting } from '../src/device/config';
import { FAILED_REVISION_BACKOFF_HOURS, retryAfter } from '../src/device/autorefresh/gate';

process.env.TZ = 'UTC'; // the schedule is in local time; these dates are read in UTC

const d = (iso: string): Date => new Date(iso);
const next = (timer: string, now: string, last?: string) => {
  const w = nextWindow(parseTimer(timer), d(now), last ? d(last) : undefined);
  return w && { start: w.start.toISOString(), end: w.end.toISOString(), random: w.random };
};

// 2026-11-27 is a Friday.
test('a weekday window: the next one is today when it has not ended, else the next weekday (over the weekend)', () => {
  assert.deepEqual(next('mon-fri,02:00-04:00', '2026-11-27T01:00:00Z'), { start: '2026-11-27T02:00:00.000Z', end: '2026-11-27T04:00:00.000Z', random: false });
  assert.deepEqual(next('mon-fri,02:00-04:00', '2026-11-27T03:00:00Z'), { start: '2026-11-27T02:00:00.000Z', end: '2026-11-27T04:00:00.000Z', random: false },
    'inside a window not yet used: this one');
  assert.equal(next('mon-fri,02:00-04:00', '2026-11-27T05:00:00Z')?.start, '2026-11-30T02:00:00.000Z', 'friday after the window: monday');
  assert.equal(next('mon-fri,02:00-04:00', '2026-11-27T03:00:00Z', '2026-11-27T02:30:00Z')?.start, '2026-11-30T02:00:00.000Z',
    'at most one check per window');
});

test('the week wraps: sat-sun on a Sunday night is the next Saturday; fri-mon covers the weekend', () => {
  assert.equal(next('sat-sun,10:00', '2026-11-29T23:00:00Z')?.start, '2026-12-05T10:00:00.000Z');
  assert.equal(next('fri-mon,10:00', '2026-11-30T11:00:00Z')?.start, '2026-12-04T10:00:00.000Z', 'monday after 10:00: friday');
  assert.equal(next('fri-mon,10:00', '2026-11-29T11:00:00Z')?.start, '2026-11-30T10:00:00.000Z', 'sunday after 10:00: monday');
  assert.equal(next('sun,23:00-01:00', '2026-11-30T00:30:00Z')?.start, '2026-11-29T23:00:00.000Z', 'a window past midnight belongs to the day it starts');
});

test('the default: four windows a day, at a random time in each; /N splits, ~ randomizes', () => {
  const t = parseTimer(DEFAULT_REFRESH_TIMER);
  assert.deepEqual(t[0]!.spans.map((s) => [s.start, s.end, s.random]), [[0, 360, true], [360, 720, true], [720, 1080, true], [1080, 1440, true]]);
  assert.deepEqual(next(DEFAULT_REFRESH_TIMER, '2026-11-27T13:00:00Z'), { start: '2026-11-27T12:00:00.000Z', end: '2026-11-27T18:00:00.000Z', random: true });
  assert.equal(next(DEFAULT_REFRESH_TIMER, '2026-11-27T13:00:00Z', '2026-11-27T12:10:00Z')?.start, '2026-11-27T18:00:00.000Z');
  assert.equal(next('00:00-24:00/4', '2026-11-27T19:00:00Z', '2026-11-27T18:00:00Z')?.start, '2026-11-28T00:00:00.000Z', '24:00 ends the day');
  const w = nextWindow(t, d('2026-11-27T13:00:00Z'))!;
  assert.equal(checkTime(w, d('2026-11-27T13:00:00Z'), () => 0).toISOString(), '2026-11-27T13:00:00.000Z', 'random: only in what is left');
  assert.equal(checkTime(w, d('2026-11-27T13:00:00Z'), () => 0.5).toISOString(), '2026-11-27T15:30:00.000Z');
  const plain = nextWindow(parseTimer('02:00-04:00'), d('2026-11-27T01:00:00Z'))!;
  assert.equal(checkTime(plain, d('2026-11-27T01:00:00Z'), () => 0.9).toISOString(), '2026-11-27T02:00:00.000Z', '-: at the start');
});

test('lists: several times, weekday lists, several events', () => {
  assert.equal(next('mon,wed,09:00,21:00', '2026-11-30T10:00:00Z')?.start, '2026-11-30T21:00:00.000Z');
  assert.equal(next('mon,wed,09:00,21:00', '2026-11-30T22:00:00Z')?.start, '2026-12-02T09:00:00.000Z');
  assert.equal(next('mon,09:00,,fri,15:00-16:00', '2026-11-27T10:00:00Z')?.start, '2026-11-27T15:00:00.000Z');
  assert.equal(next('sun', '2026-11-27T10:00:00Z')?.start, '2026-11-29T00:00:00.000Z', 'a day alone: the whole day');
});

test('a bad timer is one line naming the bad part and the grammar', () => {
  for (const [timer, why] of [['25:00', /"25:00" is not a time/], ['mon-xyz,10:00', /"mon-xyz" is not a weekday/], ['10:00/2', /splits a range/],
    ['10:00-11:00/0', /1 to 60 parts/], ['', /empty/], ['10:00,mon', /days come first/], ['10:00,,', /empty item/], ['10:00-10:00', /empty window/],
    ['mon1,10:00', /"mon1" is not a weekday/]] as const) {
    assert.throws(() => parseTimer(timer), (e: Error) => e instanceof TimerSyntaxError && why.test(e.message) && !e.message.includes('\n'), timer);
  }
  assert.throws(() => checkSetting('refresh.timer', 'mon,25:00'),
    /^ConfigError: refresh.timer is not a timer \("25:00" is not a time from 00:00 to 23:59; the grammar: \[DAYS,\]TIMES.*\), not "mon,25:00"$/);
  checkSetting('refresh.timer', 'mon-fri,02:00-04:00');
});

test('holds: durations, forever, RFC 3339 settings', () => {
  assert.equal(parseHoldDuration('1d12h'), 36 * 3_600_000);
  assert.equal(parseHoldDuration('forever'), 'forever');
  assert.equal(parseHoldDuration('hello'), null, 'not a duration: an app name');
  assert.equal(parseHoldDuration('0h'), null);
  assert.equal(holdUntil(2 * 3_600_000, d('2026-11-27T10:00:00.123Z')), '2026-11-27T12:00:00Z');
  assert.equal(holdActive('2026-11-27T12:00:00Z', d('2026-11-27T11:59:59Z')), true);
  assert.equal(holdActive('2026-11-27T12:00:00Z', d('2026-11-27T12:00:00Z')), false);
  assert.equal(holdActive('forever', d('2999-01-01T00:00:00Z')), true);
  for (const ok of ['', 'forever', '2026-12-24T08:00:00Z', '2026-12-24T08:00:00+01:00']) assert.equal(holdSettingProblem(ok), null, ok);
  assert.throws(() => checkSetting('refresh.hold', 'tomorrow'), /refresh.hold must be an RFC 3339 time .*, not "tomorrow"$/);
  assert.throws(() => checkSetting('refresh.max-postpone', 'forever'), /refresh.max-postpone must be a duration/);
});

test('a failed revision waits longer after each failure, up to two weeks', () => {
  const after = (count: number) => (retryAfter({ name: 'a', rev: 2, count, last_at: '2026-11-27T00:00:00Z' }).getTime() - Date.parse('2026-11-27T00:00:00Z')) / 3_600_000;
  assert.deepEqual([1, 2, 3, 7, 30].map(after), [8, 12, 24, 336, 336]);
  assert.equal(FAILED_REVISION_BACKOFF_HOURS.at(-1), 14 * 24);
});
