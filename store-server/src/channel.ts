import { BadRequestError } from './errors';

export const RISKS = ['stable', 'candidate', 'beta', 'edge'] as const;
export type Risk = (typeof RISKS)[number];
export const DEFAULT_TRACK = 'latest';

const TRACK_RE = /^[a-z0-9](?:[a-z0-9.-]{0,38}[a-z0-9])?$/;

/** A channel as `track/risk`; `stable` alone means `latest/stable`, as snap does. */
export interface Channel { track: string; risk: Risk }

export function parseChannel(text: string): Channel {
  const parts = text.split('/');
  let track = DEFAULT_TRACK;
  let risk: string;
  if (parts.length === 1) risk = parts[0]!;
  else if (parts.length === 2) [track, risk] = parts as [string, string];
  else throw new BadRequestError(`malformed channel "${text}": expected TRACK/RISK or RISK`, 'channel-invalid');
  if (!TRACK_RE.test(track)) throw new BadRequestError(`malformed channel "${text}": bad track "${track}"`, 'channel-invalid');
  if (!(RISKS as readonly string[]).includes(risk)) {
    throw new BadRequestError(`malformed channel "${text}": risk must be one of ${RISKS.join(', ')}`, 'channel-invalid');
  }
  return { track, risk: risk as Risk };
}

export function channelName(c: Channel): string {
  return `${c.track}/${c.risk}`;
}

/** Orders channels by track, then from the most to the least stable risk. */
export function compareChannels(a: string, b: string): number {
  const pa = parseChannel(a);
  const pb = parseChannel(b);
  if (pa.track !== pb.track) return pa.track === DEFAULT_TRACK ? -1 : pb.track === DEFAULT_TRACK ? 1 : pa.track < pb.track ? -1 : 1;
  return RISKS.indexOf(pa.risk) - RISKS.indexOf(pb.risk);
}
