// The environment of a confined process: built from nothing, never inherited from the caller.
import type { AppContext } from './context';

/** System folders only, plus the bundle's own bin; nothing from the caller's PATH. */
export const CLEAN_PATH = '/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function appEnv(ctx: Pick<AppContext, 'name' | 'revision' | 'version'>, runName: string): string[] {
  return [
    `SKIFF_NAME=${ctx.name}`,
    `SKIFF_APP=${runName}`,
    `SKIFF_REVISION=${ctx.revision}`,
    `SKIFF_VERSION=${ctx.version}`,
    'SKIFF_DATA=/data',
    'SKIFF_COMMON=/common',
    'HOME=/data',
    'TMPDIR=/tmp',
    `PATH=${CLEAN_PATH}`,
    'LANG=C.UTF-8',
  ];
}
