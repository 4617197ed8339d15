// The launch plan's rules live once, in cpp/plan_json.cc, which skiff-launch reads plan files with:
// here a plan from JS is checked by the same code before anything is done with it.
import type { LaunchPlan } from './plan';
import { native } from './loader';

/** The largest uid/gid ((uid_t)-1 means "unchanged" to the kernel). */
export const ID_MAX = 4294967294;

/** An absolute path without empty, '.' or '..' components, and not '/' itself. */
export function isNormalisedAbsolute(p: string): boolean {
  return p.length > 1 && p.startsWith('/') && p.slice(1).split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

/** Throws a TypeError naming the first field of `plan` that does not match LaunchPlan. */
export function validatePlan(plan: unknown): asserts plan is LaunchPlan {
  // JSON.stringify gives undefined for undefined, refused by the addon as "plan must be a string".
  native().checkPlan(JSON.stringify(plan));
}
