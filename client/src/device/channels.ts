import { RISKS, parseChannel } from '@skiff/bundle';
import type { ChannelMap } from '../trust';

export interface Resolved { channel: string; revision: number; version: string }

/** The revision a tracked channel gets: its own, else that of the next more stable risk of the track. */
export function resolveChannel(map: ChannelMap, tracked: string): Resolved | null {
  const { track, risk } = parseChannel(tracked);
  for (let i = RISKS.indexOf(risk); i >= 0; i--) {
    const name = `${track}/${RISKS[i]}`;
    const entry = map.channels[name];
    if (entry) return { channel: name, revision: entry.revision, version: entry.version };
  }
  return null;
}
