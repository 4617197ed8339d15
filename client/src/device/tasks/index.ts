import { TaskKinds } from '../changes';
import type { DeviceEnv } from '../env';
import { download, copyLocal } from './download';
import { verify } from './verify';
import { mount, discard } from './mount';
import { copyData, keepData } from './data';
import { switchTask, unlinkTask } from './switch';
import { wrappers, unwrap } from './wrappers';
import { runHookTask } from './hook';
import { blockTask } from './block';
import { prune } from './prune';
import { mountData, keepVolume } from './volume';

/** Every task kind of the device, with its do and undo, registered in one place. */
export function deviceTaskKinds(): TaskKinds<DeviceEnv> {
  return new TaskKinds<DeviceEnv>()
    .register('download', download)
    .register('copy-local', copyLocal)
    .register('verify', verify)
    .register('mount', mount)
    .register('mount-data', mountData)
    .register('copy-data', copyData)
    .register('switch', switchTask)
    .register('wrappers', wrappers)
    .register('run-hook', runHookTask)
    .register('block', blockTask)
    .register('prune', prune)
    .register('unwrap', unwrap)
    .register('unlink', unlinkTask)
    .register('discard', discard)
    .register('keep-data', keepData)
    .register('keep-volume', keepVolume);
}
