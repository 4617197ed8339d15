// Policy: turns a manifest, granted permissions and device limits into a LaunchPlan (issue 5).
export type { LaunchPlan } from '@skiff/native';
export * from './context';
export const PART = 'confinement';
