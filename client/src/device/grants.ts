import type { Manifest } from '@skiff/bundle';
import { isAutoConnected } from '@skiff/confinement';

export interface Grant { app: string; plug: string; granted: boolean; auto: boolean }

/** Every plug a manifest asks for: top-level, per app and per hook. */
export function plugsOf(m: Manifest): string[] {
  const all = new Set<string>(m.plugs ?? []);
  for (const app of Object.values(m.apps ?? {})) for (const p of app.plugs ?? []) all.add(p);
  for (const hook of Object.values(m.hooks ?? {})) for (const p of hook?.plugs ?? []) all.add(p);
  return [...all].sort();
}

/** The grants of one app: an explicit decision wins, else the auto-connect default. */
export function grantsOf(app: string, m: Manifest, decisions: Map<string, boolean>): Grant[] {
  return plugsOf(m).map((plug) => {
    const decided = decisions.get(plug);
    return decided === undefined
      ? { app, plug, granted: isAutoConnected(plug), auto: isAutoConnected(plug) }
      : { app, plug, granted: decided, auto: false };
  });
}
