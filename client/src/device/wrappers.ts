// Writes the device's wrappers and saved plans (what they say is confinement's: wrapperPlan, wrapperScript).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceLayout, writeFileAtomic } from '@skiff/bundle';
import { launcherPath } from '@skiff/native';
import { isFileOfApp, planPath, wrapperPaths, wrapperPlan, wrapperScript, type AppContext } from '@skiff/confinement';

/** Files of an app in a folder (none when the folder does not exist yet). */
function filesOf(dir: string, name: string): string[] {
  try {
    return readdirSync(dir).filter((f) => isFileOfApp(f, name)).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** Writes the launch plans and the `<root>/skiff/bin/<name>[.<app>]` wrappers that exec skiff-launch. */
export function writeWrappers(ctx: AppContext): string[] {
  const layout = new DeviceLayout(ctx.root);
  const launcher = launcherPath();
  const written: string[] = [];
  const plans: string[] = [];
  for (const app of Object.keys(ctx.manifest.apps)) {
    const file = planPath(ctx.root, ctx.name, app);
    writeFileAtomic(file, JSON.stringify(wrapperPlan(ctx, app), null, 2) + '\n', 0o644);
    plans.push(file);
    for (const wrapper of wrapperPaths(ctx.root, ctx.manifest, app)) {
      writeFileAtomic(wrapper, wrapperScript(launcher, file), 0o755);
      written.push(wrapper);
    }
  }
  // Apps dropped by a new revision lose their wrappers and plans.
  for (const stale of filesOf(layout.binDir, ctx.name)) if (!written.includes(stale)) rmSync(stale, { force: true });
  for (const stale of filesOf(layout.plansDir, ctx.name)) if (!plans.includes(stale)) rmSync(stale, { force: true });
  return written;
}

/** Removes an app's wrappers and plans. */
export function removeWrappers(root: string, name: string): void {
  const layout = new DeviceLayout(root);
  for (const f of filesOf(layout.binDir, name)) rmSync(f, { force: true });
  for (const f of filesOf(layout.plansDir, name)) rmSync(f, { force: true });
}
