import type { ChannelMap } from '../trust';
import { ChannelError } from './errors';

/** Risks from most to least stable; a missing risk follows the next more stable one. */
export const RISKS = ['stable', 'candidate', 'beta', 'edge'] as const;
export const DEFAULT_TRACK = 'latest';

/** 'stable' → 'latest/stable', '2.x' → '2.x/stable', 'latest/edge' stays. */
export function normalizeChannel(channel: string): string {
  const parts = channel.split('/');
  if (parts.length === 2 && parts[0] && RISKS.includes(parts[1] as never)) return channel;
  if (parts.length === 1 && parts[0]) {
    return RISKS.includes(parts[0] as never) ? `${DEFAULT_TRACK}/${parts[0]}` : `${parts[0]}/stable`;
  }
  throw new ChannelError(`"${channel}" is not a channel (track/risk, risk one of ${RISKS.join(', ')})`);
}

export interface Resolved { channel: string; revision: number; version: string }

/** The revision a tracked channel gets: its own, else that of the next more stable risk of the track. */
export function resolveChannel(map: ChannelMap, tracked: string): Resolved | null {
  const [track, risk] = normalizeChannel(tracked).split('/') as [string, string];
  for (let i = RISKS.indexOf(risk as typeof RISKS[number]); i >= 0; i--) {
    const name = `${track}/${RISKS[i]}`;
    const entry = map.channels[name];
    if (entry) return { channel: name, revision: entry.revision, version: entry.version };
  }
  return null;
}
