// refresh.timer, in snapd's grammar: when automatic refresh may look for updates, in the device's local time.
// Pure: parsing, and the next window from a given `now`; nothing here reads a clock.

/** Four checks a day, each at a random time in its quarter of the day (as snapd does). */
export const DEFAULT_REFRESH_TIMER = '00:00~24:00/4';

/** How the grammar reads, quoted in every error about a timer. */
export const TIMER_GRAMMAR = '[DAYS,]TIMES[,,[DAYS,]TIMES...] where DAYS is mon or mon-fri (comma lists), '
  + 'TIMES is HH:MM, HH:MM-HH:MM (at the window\'s start) or HH:MM~HH:MM (at a random time in it), each range optionally /N (split in N windows); '
  + 'e.g. mon-fri,02:00-04:00 or 00:00~24:00/4';

const MINUTES_PER_DAY = 24 * 60;
/** A bare HH:MM is a window this long, in minutes: an agent started a little late still checks. */
const POINT_WINDOW_MINUTES = 1;
/** Days searched ahead for the next window: a week and one, so any weekday set is reached. */
const SEARCH_DAYS = 8;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** One daily window, in minutes after local midnight; end > start, and may pass midnight (end > 1440). */
export interface Span { start: number; end: number; random: boolean }
/** Spans on a set of weekdays (index 0 = Sunday, as Date.getDay()). */
export interface TimerEvent { days: boolean[]; spans: Span[] }
export type Timer = TimerEvent[];

/** A concrete window: check at its start ('-'), or at a random moment in it ('~'). */
export interface Window { start: Date; end: Date; random: boolean }

export class TimerSyntaxError extends Error {
  constructor(readonly timer: string, readonly why: string) {
    super(`"${timer}" is not a timer (${why}; the grammar: ${TIMER_GRAMMAR})`);
  }
}

function parseTime(text: string, timer: string, allow24: boolean): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  const h = Number(m?.[1]);
  const min = Number(m?.[2]);
  if (!m || min > 59 || h > 24 || (h === 24 && (min !== 0 || !allow24))) throw new TimerSyntaxError(timer, `"${text}" is not a time from 00:00 to 23:59`);
  return h * 60 + min;
}

function parseDays(token: string, days: boolean[], timer: string): void {
  const [from, to = from] = token.split('-');
  const a = WEEKDAYS.indexOf(from as typeof WEEKDAYS[number]);
  const b = WEEKDAYS.indexOf(to as typeof WEEKDAYS[number]);
  if (a < 0 || b < 0 || token.split('-').length > 2) throw new TimerSyntaxError(timer, `"${token}" is not a weekday (mon … sun) nor a range of them`);
  // A range may wrap the week: fri-mon is fri, sat, sun, mon.
  for (let d = a; ; d = (d + 1) % 7) { days[d] = true; if (d === b) break; }
}

function parseSpans(token: string, timer: string): Span[] {
  const m = /^([^-~/]+)(?:([-~])([^/]+))?(?:\/(.*))?$/.exec(token);
  if (!m) throw new TimerSyntaxError(timer, `"${token}" is neither a weekday nor a time`);
  const start = parseTime(m[1]!, timer, false);
  if (!m[2]) {
    if (m[4] !== undefined) throw new TimerSyntaxError(timer, `"${token}": /N splits a range, not a single time`);
    return [{ start, end: start + POINT_WINDOW_MINUTES, random: false }];
  }
  let end = parseTime(m[3]!, timer, true);
  if (end === start) throw new TimerSyntaxError(timer, `"${token}" is an empty window`);
  if (end < start) end += MINUTES_PER_DAY; // 23:00-01:00 passes midnight
  const parts = m[4] === undefined ? 1 : Number(m[4]);
  if (!/^\d+$/.test(m[4] ?? '1') || parts < 1 || parts > end - start) throw new TimerSyntaxError(timer, `"/${m[4]}" must split the window in 1 to ${end - start} parts`);
  const len = (end - start) / parts;
  return Array.from({ length: parts }, (_, i) => ({ start: start + i * len, end: start + (i + 1) * len, random: m[2] === '~' }));
}

/** Parses a refresh.timer value; throws TimerSyntaxError naming the bad part and the grammar. */
export function parseTimer(timer: string): Timer {
  if (timer.trim() === '') throw new TimerSyntaxError(timer, 'empty');
  return timer.split(',,').map((event) => {
    const days = new Array<boolean>(7).fill(false);
    const spans: Span[] = [];
    for (const token of event.split(',')) {
      if (token === '') throw new TimerSyntaxError(timer, 'an empty item between commas');
      if (/^[a-z]/.test(token)) {
        if (spans.length) throw new TimerSyntaxError(timer, `weekday "${token}" after a time: days come first`);
        parseDays(token, days, timer);
      } else spans.push(...parseSpans(token, timer));
    }
    // Days alone: any time on those days, at random.
    if (spans.length === 0) spans.push({ start: 0, end: MINUTES_PER_DAY, random: true });
    return { days: days.includes(true) ? days : days.fill(true), spans };
  });
}

/** Local time `minutes` after the local midnight of day (the Date constructor carries past midnight and through DST). */
function at(day: Date, minutes: number): Date {
  return new Date(day.getFullYear(), day.getMonth(), day.getDate(), 0, 0, 0, Math.round(minutes * 60_000));
}

/** Every window that starts on the local day of `day`, by start. */
export function windowsOn(timer: Timer, day: Date): Window[] {
  return timer.filter((e) => e.days[day.getDay()])
    .flatMap((e) => e.spans.map((s) => ({ start: at(day, s.start), end: at(day, s.end), random: s.random })))
    .sort((a, b) => a.start.getTime() - b.start.getTime());
}

/**
 * The window the next check belongs to: the first one not yet over at `now` in which no check was made
 * (`last`: the last completed check), so a window sees at most one refresh. Null only for a timer with no day.
 */
export function nextWindow(timer: Timer, now: Date, last?: Date): Window | null {
  for (let d = -1; d < SEARCH_DAYS; d++) { // from yesterday: its window may pass midnight
    const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() + d);
    for (const w of windowsOn(timer, day)) {
      if (w.end.getTime() <= now.getTime()) continue;
      if (last && last.getTime() >= w.start.getTime() && last.getTime() < w.end.getTime()) continue;
      return w;
    }
  }
  return null;
}

/** When to check in a window: its start ('-', or now when it has begun), or a random time in what is left of it ('~'). */
export function checkTime(w: Window, now: Date, random: () => number = Math.random): Date {
  const from = Math.max(w.start.getTime(), now.getTime());
  if (!w.random) return new Date(from);
  return new Date(from + Math.floor(random() * (w.end.getTime() - from)));
}
