import { SkiffError, type Manifest } from '@skiff/bundle';
import { isAutoConnected, plugPolicy } from '@skiff/confinement';
import { checkAppName } from '../trust/targets';

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

/** `NAME:PLUG` → its parts; the name must be an app name, the plug one confinement knows. */
export function parseConnection(spec: string): { name: string; plug: string } {
  const m = /^([^:]+):([^:]+)$/.exec(spec);
  if (!m) throw new SkiffError('usage', `expected APP:PLUG (e.g. hello:network-bind), not '${spec}'`);
  checkAppName(m[1]!);
  plugPolicy(m[2]!);
  return { name: m[1]!, plug: m[2]! };
}
