import { RISKS, architecturesIn, channelsFor, parseChannel, type Architecture } from '@skiff/bundle';
import type { ChannelMap } from '../trust';
import { ArchitectureError } from './errors';

export interface Resolved { channel: string; revision: number; version: string }

/**
 * The revision a tracked channel gets on a device of `arch`: its own, else that of the next more stable
 * risk of the track. An app with nothing at all for `arch` is refused in one line naming those it has.
 */
export function resolveChannel(map: ChannelMap, tracked: string, arch: Architecture): Resolved | null {
  const { track, risk } = parseChannel(tracked);
  const channels = channelsFor(map, arch);
  if (Object.keys(channels).length === 0) {
    const others = architecturesIn(map);
    if (others.length) throw new ArchitectureError(`${map.name} has no revision for ${arch} (the store has it for ${others.join(', ')})`);
  }
  for (let i = RISKS.indexOf(risk); i >= 0; i--) {
    const name = `${track}/${RISKS[i]}`;
    const entry = channels[name];
    if (entry) return { channel: name, revision: entry.revision, version: entry.version };
  }
  return null;
}
