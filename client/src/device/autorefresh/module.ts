// The agent's automatic refresh: one timer set for the next check (no polling loop), checks run as the
// agent's changes of each app, a store that cannot be reached tried again with backoff within its window.
import type { AgentContext, AgentModule } from '../../agent/module';
import { openDevice, type Device } from '../device';
import { runAutoRefreshCheck, StoreUnreachable } from './check';
import { RefreshRecords } from './records';
import { checkTime, nextWindow, parseTimer, type Window } from './schedule';
import { refreshTimes, timerInForce, type RefreshTimes } from './times';

/** First wait before asking an unreachable store again, in ms; it doubles up to STORE_RETRY_MAX_MS. */
export const STORE_RETRY_FIRST_MS = 30_000;
export const STORE_RETRY_MAX_MS = 30 * 60_000;
/** How often a postponed refresh looks again whether the app's processes have ended, in ms. */
export const POSTPONE_RECHECK_MS = 60_000;
/**
 * Longest the one timer sleeps before planning again, in ms: a timer or hold changed by another process
 * (the in-process CLI) is seen within this. The agent's own config route calls replan() at once.
 */
export const PLAN_MAX_SLEEP_MS = 10 * 60_000;

export interface AutoRefreshOptions {
  postponeRecheckMs?: number;
  storeRetryFirstMs?: number;
  random?: () => number;
}

export interface AutoRefreshModule extends AgentModule {
  /** Plans the next check again now (after a change of refresh.timer or a hold). */
  replan(): void;
  /** What `skiff refresh --time` shows, for the system-info route. */
  times(): RefreshTimes;
}

export function autoRefreshModule(opts: AutoRefreshOptions = {}): AutoRefreshModule {
  const postponeMs = opts.postponeRecheckMs ?? POSTPONE_RECHECK_MS;
  const retryFirstMs = opts.storeRetryFirstMs ?? STORE_RETRY_FIRST_MS;
  let ctx: AgentContext | undefined;
  let device: Device | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  /** Set while the window's check waits for the store: when to try again, and the last cause logged. */
  let retry: { window: Window; attempts: number; at: Date } | undefined;
  let loggedCause: string | undefined;
  /** Apps whose refresh waits for their processes, and when to look again. */
  let postponed: { names: string[]; at: Date } | undefined;

  /** The planned check: its window, when in it, under which timer (kept while they hold, so a random time is drawn once). */
  let plan: { window: Window; at: Date; timer: string } | undefined;

  const arm = (): void => {
    if (stopped || !device || !ctx) return;
    clearTimeout(timer);
    const now = new Date();
    const records = new RefreshRecords(device.state);
    const timerText = timerInForce(device);
    const window = retry?.window ?? nextWindow(parseTimer(timerText), now, records.lastCheck());
    const same = plan && window && plan.timer === timerText && plan.window.start.getTime() === window.start.getTime();
    plan = retry && window ? { window, at: retry.at, timer: timerText }
      : same ? plan : window ? { window, at: checkTime(window, now, opts.random), timer: timerText } : undefined;
    if (!same || retry) device.state.tx(() => records.setPlanned(plan?.at ?? null, timerText)); // written when it changes
    const wake = Math.min(plan?.at.getTime() ?? Infinity, postponed?.at.getTime() ?? Infinity);
    timer = setTimeout(() => {
      // Nothing may escape into an unhandled rejection: the agent outlives any one check.
      running = fire().catch((err: Error) => {
        ctx?.log.error({ event: 'auto-refresh-failed', error: err.message }, 'automatic refresh failed; planning again shortly');
        if (!stopped) {
          timer = setTimeout(() => {
            try { arm(); } catch (e) { ctx?.log.error({ event: 'auto-refresh-failed', error: (e as Error).message }, 'automatic refresh cannot plan; stopped'); }
          }, retryFirstMs);
        }
      });
    }, Math.min(Math.max(wake - now.getTime(), 0), PLAN_MAX_SLEEP_MS));
  };

  const fire = async (): Promise<void> => {
    const now = new Date();
    const due = plan !== undefined && plan.at <= now ? plan : undefined;
    const recheck = postponed && postponed.at <= now ? postponed.names : undefined;
    if (!due && !recheck) return arm();
    if (due) plan = undefined;
    else postponed = undefined;
    try {
      const r = await runAutoRefreshCheck({ device: device!, withApp: ctx!.withApp.bind(ctx), log: ctx!.log, now, ...(due ? {} : { only: recheck! }) });
      if (loggedCause) ctx!.log.info({ event: 'store-reachable' }, 'the store answers again');
      retry = undefined;
      loggedCause = undefined;
      const waiting = r.outcomes.filter((o) => o.status === 'postponed').map((o) => o.name);
      postponed = waiting.length ? { names: waiting, at: new Date(Date.now() + postponeMs) } : postponed;
    } catch (err) {
      if (!due && recheck) postponed = { names: recheck, at: new Date(Date.now() + postponeMs) };
      const spent = (): void => { if (due) device!.state.tx(() => new RefreshRecords(device!.state).setLastCheck(now)); };
      if (!(err instanceof StoreUnreachable)) {
        ctx!.log.error({ event: 'refresh-check-failed', error: (err as Error).message }, 'automatic refresh check failed');
        retry = undefined;
        spent();
      } else {
        // Logged once per cause: a store down for hours writes one line, not one per attempt.
        if (err.message !== loggedCause) ctx!.log.warn({ event: 'store-unreachable', error: err.message }, 'the store cannot be reached; trying again in this window');
        loggedCause = err.message;
        const attempts = (retry?.attempts ?? 0) + 1;
        const at = new Date(Date.now() + Math.min(retryFirstMs * 2 ** (attempts - 1), STORE_RETRY_MAX_MS));
        const window = due?.window ?? retry?.window;
        retry = window && at < window.end ? { window, attempts, at } : undefined;
        if (!retry) spent(); // no time left in this window: the next one tries
      }
    }
    arm();
  };

  return {
    name: 'auto-refresh',
    async start(c: AgentContext): Promise<void> {
      ctx = c;
      device = openDevice(c.root);
      stopped = false;
      arm();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
      device?.close();
      device = undefined;
    },
    replan(): void { retry = undefined; arm(); },
    times(): RefreshTimes {
      if (!device) throw new Error('auto-refresh is not started');
      return refreshTimes(device);
    },
  };
}
