// One automatic refresh check: holds first, then one request for timestamp.json, and only when the store or
// the device changed since a check that found nothing, a refresh of each app as the agent's change of that app.
import { createHash } from 'node:crypto';
import type { AgentContext } from '../../agent/module';
import type { Device } from '../device';
import { makeEnv } from '../env';
import type { RefreshOutcome } from '../ops';
import { RefreshRecords } from './records';

export interface CheckInput {
  device: Device;
  withApp: AgentContext['withApp'];
  log: AgentContext['log'];
  now: Date;
  /** Look only at these apps (a postponed refresh tried again); the window's check when absent. */
  only?: string[];
}

export interface CheckResult {
  /** refresh.hold held everything: nothing was asked of the store. */
  held: boolean;
  /** The timestamp and the device were as at the last check that found nothing: one request, nothing more. */
  nothingNew: boolean;
  outcomes: RefreshOutcome[];
}

/** The store cannot be reached (or answers with errors): the check is tried again later in its window. */
export class StoreUnreachable extends Error {
  constructor(readonly reason: Error) { super(reason.message); }
}

/** Refresh outcomes that leave nothing for a later check to do while the store stays as it is. */
const SETTLED = new Set<RefreshOutcome['status']>(['up-to-date', 'blocked']);

function fingerprint(timestampSha256: string, device: Device, names: string[]): string {
  const { state } = device;
  const apps = names.map((n) => { const a = state.app(n)!; return [a.name, a.channel, a.current]; });
  return createHash('sha256').update(JSON.stringify([timestampSha256, apps, state.blocked().map((b) => [b.name, b.rev])])).digest('hex');
}

/** Store failures (no answer, 5xx, a cut) as opposed to what the store refused or a failed change. */
function storeFailure(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'download-failed' || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
}

export async function runAutoRefreshCheck(input: CheckInput): Promise<CheckResult> {
  const { device, log, now } = input;
  const { state } = device;
  const records = new RefreshRecords(state);
  const globalHold = records.globalHold(now);
  const done = (r: CheckResult, held: string[]): CheckResult => {
    if (!input.only) state.tx(() => records.setLastCheck(now));
    log.info({ event: 'refresh-check', held, nothingNew: r.nothingNew, outcomes: r.outcomes.map((o) => ({ app: o.name, status: o.status })) },
      globalHold ? `automatic refresh is held until ${globalHold} (refresh.hold)` : 'automatic refresh check done');
    return r;
  };
  if (globalHold) return done({ held: true, nothingNew: false, outcomes: [] }, ['*']);
  const tracked = state.apps().filter((a) => a.channel !== '' && (!input.only || input.only.includes(a.name))).map((a) => a.name);
  const held = tracked.filter((n) => records.holdOn(n, now));
  const names = tracked.filter((n) => !held.includes(n));
  if (names.length === 0) return done({ held: false, nothingNew: true, outcomes: [] }, held);
  let probe: { sha256: string; unchanged: boolean };
  try { probe = await makeEnv(device).trust().probeTimestamp(); } catch (err) {
    throw storeFailure(err) ? new StoreUnreachable(err as Error) : err;
  }
  const before = fingerprint(probe.sha256, device, names);
  if (probe.unchanged && records.cleanFingerprint() === before) return done({ held: false, nothingNew: true, outcomes: [] }, held);
  const outcomes: RefreshOutcome[] = [];
  for (const name of names) {
    try {
      outcomes.push(...await input.withApp(name, (ops) => ops.refresh([name], { auto: { now } })));
    } catch (err) {
      if (storeFailure(err)) throw new StoreUnreachable(err as Error);
      outcomes.push({ name, status: 'failed', message: (err as Error).message });
    }
  }
  for (const o of outcomes) {
    (o.status === 'failed' ? log.warn.bind(log) : log.info.bind(log))({ event: 'refresh', app: o.name, status: o.status, change: o.change }, o.message);
  }
  const settled = outcomes.every((o) => SETTLED.has(o.status));
  state.tx(() => records.setCleanFingerprint(settled && !input.only ? before : null));
  return done({ held: false, nothingNew: false, outcomes }, held);
}
