import { TaskKinds, type TaskHandler } from '../changes';
import type { TaskSpec } from '../task';
import type { DeviceEnv } from '../env';
import { download, copyLocal, type DownloadParams, type CopyLocalParams } from './download';
import { verify, type VerifyParams } from './verify';
import { mount, discard, type MountParams, type DiscardParams } from './mount';
import { copyData, keepData, type CopyDataParams, type KeepDataParams } from './data';
import { switchTask, unlinkTask, type SwitchParams, type UnlinkParams } from './switch';
import { wrappers, unwrap, type WrappersParams } from './wrappers';
import { runHookTask, type HookParams } from './hook';
import { blockTask, unblockTask, forgetBlocks, type BlockParams, type UnblockParams, type ForgetBlocksParams } from './block';
import { prune, type PruneParams } from './prune';
import { mountData, keepVolume, type MountDataParams, type KeepVolumeParams } from './volume';

/** Every task kind of the device and the params its handlers read: plans and handlers are checked against it. */
export interface DeviceTaskParams {
  'download': DownloadParams;
  'copy-local': CopyLocalParams;
  'verify': VerifyParams;
  'mount': MountParams;
  'mount-data': MountDataParams;
  'copy-data': CopyDataParams;
  'switch': SwitchParams;
  'wrappers': WrappersParams;
  'run-hook': HookParams;
  'block': BlockParams;
  'unblock': UnblockParams;
  'prune': PruneParams;
  'unwrap': WrappersParams;
  'unlink': UnlinkParams;
  'discard': DiscardParams;
  'keep-data': KeepDataParams;
  'keep-volume': KeepVolumeParams;
  'forget-blocks': ForgetBlocksParams;
}
export type DeviceTaskKind = keyof DeviceTaskParams;

/** A task of a device change: its params are those its kind's handler reads. */
export type DeviceTaskSpec = { [K in DeviceTaskKind]: TaskSpec<K, DeviceTaskParams[K]> }[DeviceTaskKind];

/** The do and undo of each kind, registered in one place. */
const HANDLERS: { [K in DeviceTaskKind]: TaskHandler<DeviceEnv, DeviceTaskParams[K]> } = {
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
};

export function deviceTaskKinds(): TaskKinds<DeviceEnv> {
  const kinds = new TaskKinds<DeviceEnv>();
  for (const [kind, handler] of Object.entries(HANDLERS)) kinds.register(kind, handler);
  return kinds;
}
