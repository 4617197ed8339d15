// Choosing a delta for a refresh (docs/deltas.md): from the current revision first, else another retained
// one, when the store signs one and the device setting allows it.
import type { DeviceEnv } from './env';
import type { DeviceTaskSpec } from './tasks';
import type { BundleTarget, DeltaTarget } from '../trust';
import { REFRESH_DELTAS } from './config';
import { DANGEROUS_REVISION_BASE } from './state';

export interface DeltaChoice { from: number; target: DeltaTarget }

/** The delta a refresh to `bundle` will use, or null (deltas off, none published, no source mounted). */
export async function findDelta(env: DeviceEnv, bundle: BundleTarget): Promise<DeltaChoice | null> {
  const { state, paths } = env.device;
  const name = bundle.custom.name;
  const app = state.app(name);
  if (!app || state.configGet(REFRESH_DELTAS) !== 'true') return null;
  const sources = state.revisions(name).map((r) => r.rev)
    .filter((r) => r !== bundle.custom.revision && r < DANGEROUS_REVISION_BASE)
    .sort((a, b) => Number(b === app.current) - Number(a === app.current) || b - a);
  for (const from of sources) {
    if (!env.backend.isMounted(paths.mountDir(name, from))) continue;
    try {
      const target = await env.trust().deltaTarget(bundle, from);
      if (target) return { from, target };
    } catch {
      // A delta is only ever a shortcut: one the store signs wrongly (or cannot serve the metadata of) is skipped.
    }
  }
  return null;
}

/** The delta's two tasks, placed before the full download (which then finds the bundle rebuilt, or fetches it). */
export function deltaSpecs(bundle: BundleTarget, choice: DeltaChoice): DeviceTaskSpec[] {
  const { name, revision: rev } = bundle.custom;
  const params = { name, rev, from: choice.from, delta: choice.target, bundle };
  return [
    { kind: 'download-delta', summary: `Download the delta of ${name} from revision ${choice.from} to ${rev} (${choice.target.length} bytes)`, params },
    { kind: 'rebuild', summary: `Rebuild ${name} revision ${rev} from revision ${choice.from} and the delta`, params },
  ];
}
