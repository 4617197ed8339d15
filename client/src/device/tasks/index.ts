import { TaskKinds, type TaskHandler } from '../changes';
import type { TaskSpec } from '../task';
import type { DeviceEnv } from '../env';
import { download, copyLocal } from './download';
import { downloadDelta, rebuild } from './delta';
import { verify } from './verify';
import { mount, discard } from './mount';
import { copyData, keepData } from './data';
import { switchTask, unlinkTask } from './switch';
import { wrappers, unwrap } from './wrappers';
import { runHookTask } from './hook';
import { blockTask, unblockTask, forgetBlocks } from './block';
import { prune } from './prune';
import { mountData, keepVolume } from './volume';
import { startServices, stopServices } from './services';

/** Every task kind of the device, with its do and undo, registered in one place. */
const HANDLERS = {
  'download-delta': downloadDelta,
  'rebuild': rebuild,
  'download': download,
  'copy-local': copyLocal,
  'verify': verify,
  'mount': mount,
  'mount-data': mountData,
  'copy-data': copyData,
  'switch': switchTask,
  'wrappers': wrappers,
  'run-hook': runHookTask,
  'block': blockTask,
  'unblock': unblockTask,
  'prune': prune,
  'unwrap': unwrap,
  'unlink': unlinkTask,
  'discard': discard,
  'keep-data': keepData,
  'keep-volume': keepVolume,
  'forget-blocks': forgetBlocks,
  'stop-services': stopServices,
  'start-services': startServices,
} satisfies Record<string, TaskHandler<DeviceEnv>>;

export type DeviceTaskKind = keyof typeof HANDLERS;
/** The params each kind's handler reads: the plans that build a change are checked against it. */
export type DeviceTaskParams = { [K in DeviceTaskKind]: (typeof HANDLERS)[K] extends TaskHandler<DeviceEnv, infer P> ? P : never };
/** A task of a device change: its params are those its kind's handler reads. */
export type DeviceTaskSpec = { [K in DeviceTaskKind]: TaskSpec<K, DeviceTaskParams[K]> }[DeviceTaskKind];

export function deviceTaskKinds(): TaskKinds<DeviceEnv> {
  const kinds = new TaskKinds<DeviceEnv>();
  for (const [kind, handler] of Object.entries(HANDLERS)) kinds.register(kind, handler);
  return kinds;
}
