// Channels, one grammar for the store and the device: RISK, or TRACK/RISK (snap's, without branches).
// A bare word that is not a risk is refused, never taken as a track: `stabel` must not open a track.
import { ChannelInvalidError } from './errors';

/** Risks from most to least stable; a device tracking a risk with nothing in it follows the next more stable one. */
export const RISKS = ['stable', 'candidate', 'beta', 'edge'] as const;
export type Risk = (typeof RISKS)[number];
export const DEFAULT_TRACK = 'latest';

const TRACK_RE = /^[a-z0-9](?:[a-z0-9.-]{0,38}[a-z0-9])?$/;

export interface Channel { track: string; risk: Risk }

const isRisk = (s: string): s is Risk => (RISKS as readonly string[]).includes(s);

/** Parses `stable` (meaning latest/stable) or `2.x/beta`; throws ChannelInvalidError naming what is wrong. */
export function parseChannel(text: string): Channel {
  const parts = text.split('/');
  const refuse = (why: string): never => {
    throw new ChannelInvalidError(`"${text}" is not a channel: ${why}; write RISK (${RISKS.join(', ')}) or TRACK/RISK, e.g. 2.x/stable`);
  };
  if (parts.length === 1) return isRisk(parts[0]!) ? { track: DEFAULT_TRACK, risk: parts[0] } : refuse(`"${parts[0]}" is not a risk`);
  if (parts.length !== 2) return refuse('too many parts');
  const [track, risk] = parts as [string, string];
  if (!TRACK_RE.test(track)) return refuse(`bad track "${track}" (lowercase letters, digits, dots and dashes, at most 40)`);
  if (!isRisk(risk)) return refuse(`"${risk}" is not a risk`);
  return { track, risk };
}

export function channelName(c: Channel): string {
  return `${c.track}/${c.risk}`;
}

/** 'stable' → 'latest/stable'; 'latest/edge' stays; anything else is refused. */
export function normalizeChannel(text: string): string {
  return channelName(parseChannel(text));
}

/** Orders channels by track (latest first), then from the most to the least stable risk. */
export function compareChannels(a: string, b: string): number {
  const pa = parseChannel(a);
  const pb = parseChannel(b);
  if (pa.track !== pb.track) return pa.track === DEFAULT_TRACK ? -1 : pb.track === DEFAULT_TRACK ? 1 : pa.track < pb.track ? -1 : 1;
  return RISKS.indexOf(pa.risk) - RISKS.indexOf(pb.risk);
}
