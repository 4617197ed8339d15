import type { Command } from 'commander';
import { resolve } from 'node:path';
import { SkiffError } from '@skiff/bundle/errors';
import { rootOf, output, positiveIntArg, INTERRUPTED_STATUS } from '../options';
import type { Device } from '../device';
import type { DeviceOps, RefreshOutcome, UpdateDownload } from '../device/ops';
import { formatBytes } from '../format';
import type { RefreshTimes } from '../device/autorefresh/times';
import { HOLD_GRAMMAR } from '../device/autorefresh/holds';
import * as verbs from '../device/verbs';
import { AgentError, agentFor, type AgentClient } from '../agent/client';
import type { ChangeView } from '../agent/follow';
import { NotRootError, NotSetUpError } from '../device/errors';

// The in-process side (SQLite, tuf-js, the native addon) loads only when no skiffd answers: a verb
// through the agent pays for a socket, not for the whole device library.
const lib = {
  device: () => require('../device') as typeof import('../device'),
  ops: () => require('../device/ops') as typeof import('../device/ops'),
  lock: () => require('../device/lock') as typeof import('../device/lock'),
  views: () => require('../device/views') as typeof import('../device/views'),
  times: () => require('../device/autorefresh/times') as typeof import('../device/autorefresh/times'),
  follow: () => require('../agent/follow') as typeof import('../agent/follow'),
};
/** A request that may start a change, followed to its result (Ctrl-C asks whether to abort it). */
const requestChange = <T>(api: AgentClient, method: string, path: string, body: unknown): Promise<T> => lib.follow().requestChange<T>(api, method, path, body);

/** Opens the device under --root and runs fn with its verbs; closes the database whatever happens. */
async function withOps<T>(cmd: Command, opts: { wait?: boolean }, fn: (ops: DeviceOps, device: Device) => Promise<T>): Promise<T> {
  const root = rootOf(cmd); // a command line without a device is a usage error, whoever runs it
  // The device state and its mounts are root's for now: say so before anything fails on a permission.
  if (process.getuid?.() !== 0) throw new NotRootError(`skiff ${cmd.parent?.name() === 'config' ? 'config' : cmd.name()}`);
  const device = lib.device().openDevice(root);
  const ops = new (lib.ops().DeviceOps)(device, { wait: opts.wait ?? true, crashAt: process.env.SKIFF_TEST_CRASH_AT });
  const stopListening = abortOnInterrupt(ops);
  try {
    return await fn(ops, device);
  } finally {
    stopListening();
    device.close();
  }
}

/** A read in-process: an interrupted change is finished first (when no other verb holds the lock), then fn reads. */
const withRecoveredOps = <T>(cmd: Command, fn: (ops: DeviceOps, device: Device) => T | Promise<T>): Promise<T> =>
  withOps(cmd, {}, async (ops, device) => {
    await ops.recoverIfIdle();
    return fn(ops, device);
  });

/**
 * One library, two transports: through skiffd when it answers on the device's socket (it owns the
 * device while it runs), else in-process as before skiffd existed. Same output, same --json.
 */
export async function either<T>(cmd: Command, remote: (api: AgentClient) => Promise<T>, local: () => Promise<T>): Promise<T> {
  const api = agentFor(rootOf(cmd));
  return api ? remote(api) : local();
}

/**
 * Ctrl-C asks the change this command runs to stop: it is undone at once, as `skiff abort` does. A second
 * Ctrl-C (or one with no change running) quits and leaves any change to the next command's recovery.
 */
function abortOnInterrupt(ops: DeviceOps): () => void {
  let asked = false;
  const onInterrupt = (): void => {
    // The progress bar hides the cursor and turns line wrap off: give the terminal back first.
    if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h\n');
    const change = lib.lock().DeviceLock.ownChange(ops.device.state);
    if (asked || change === null) {
      process.stderr.write(`skiff: interrupted${change === null ? '' : `; change ${change} is left to the next skiff command, which recovers it`}\n`);
      process.exit(INTERRUPTED_STATUS);
    }
    asked = true;
    try {
      ops.runner.requestAbort(change);
      process.stderr.write(`skiff: interrupted; undoing change ${change} (Ctrl-C again to quit at once)\n`);
    } catch (err) {
      process.stderr.write(`skiff: ${(err as Error).message}\n`); // past its commit point: it finishes
    }
  };
  process.on('SIGINT', onInterrupt);
  return () => { process.off('SIGINT', onInterrupt); };
}

type Started<T> = { change: number } | { result: T };

/** Refreshes through skiffd: it starts one change per app (side by side); outcomes in the in-process order. */
async function refreshRemote(api: AgentClient, names: string[], o: { channel?: string; revision?: number }): Promise<RefreshOutcome[]> {
  const follow = lib.follow();
  follow.holdInterrupts();
  const { started } = await api.call<{ started: ({ name: string } & Started<RefreshOutcome[]>)[] }>('POST', '/v1/refresh', { names, ...o });
  // The changes run side by side in skiffd; they are followed one after the other (one Ctrl-C question at a time).
  const all: RefreshOutcome[] = [];
  for (const s of started) all.push(...'change' in s ? await follow.changeResult<RefreshOutcome[]>(api, s.change) : s.result);
  follow.releaseInterrupts();
  return [...all.filter((x) => x.status === 'local'), ...all.filter((x) => x.status !== 'local')];
}

/** Registers the device verbs: setup, install, refresh, revert, unblock, remove, list, info, changes, tasks, watch, abort, boot, config. */
export function registerDeviceCommands(program: Command): void {
  program.command('setup')
    .description('set up the device: the store URL and the root metadata to trust')
    .requiredOption('--store <url>', 'store base URL')
    .requiredOption('--trust <root.json>', 'TUF root metadata shipped with the device')
    .action(async (o: { store: string; trust: string }, cmd: Command) => {
      await lib.ops().checkSetup(o.store, o.trust); // before the device's folders exist: a wrong path leaves nothing behind
      return withOps(cmd, {}, async (ops) => {
        await ops.setup(o.store, o.trust);
        process.stdout.write(`device under ${ops.device.root} set up for ${o.store}\n`);
      });
    });

  program.command('install')
    .description('install an app from the store, or a local bundle with --dangerous')
    .argument('<name-or-file>')
    .option('--channel <channel>', 'channel to track (default latest/stable)')
    .option('--revision <n>', 'install this revision')
    .option('--dangerous', 'install a local, unsigned bundle file (development only)')
    .option('--devmode', 'with --dangerous: log denied syscalls instead of blocking them')
    .option('--no-wait', 'fail at once if another change is in progress')
    .option('--json', 'print the result as JSON')
    .action(async (what: string, o: { channel?: string; revision?: string; dangerous?: boolean; devmode?: boolean; wait: boolean; json?: boolean }, cmd: Command) => {
      const store = { ...(o.channel ? { channel: o.channel } : {}), ...(o.revision ? { revision: positiveIntArg(o.revision, '--revision') } : {}) };
      const r = await either(cmd,
        (api) => requestChange<verbs.InstallResult>(api, 'POST', '/v1/apps',
          o.dangerous ? { file: resolve(what), devmode: o.devmode ?? false } : { name: what, ...store }),
        () => withOps(cmd, o, (ops) => o.dangerous ? verbs.installDangerous(ops, what, { devmode: o.devmode ?? false }) : verbs.install(ops, what, store)));
      output(!!o.json, r, () => verbs.installLine(r));
    });

  program.command('refresh')
    .description('update apps to the revision of their channel (all tracked apps that are not held when none named)')
    .argument('[names...]')
    .option('--list', 'show what would be refreshed; do nothing')
    .option('--channel <channel>', 'switch the named app to this channel')
    .option('--revision <n>', 'refresh the named app to this revision, even a blocked one (unblocked once it runs well)')
    .option('--hold [duration]', `hold the named apps (every app when none) from automatic refresh: ${HOLD_GRAMMAR} (default forever)`)
    .option('--unhold', 'lift the holds of the named apps (every hold when none)')
    .option('--time', 'show the refresh timer, the last and next check, and every hold')
    .option('--no-wait', 'fail at once if another change is in progress')
    .option('--json', 'print the result as JSON')
    .action(async (names: string[], o: { list?: boolean; channel?: string; revision?: string; hold?: string | true; unhold?: boolean; time?: boolean; wait: boolean; json?: boolean }, cmd: Command) => {
      if ([o.list, o.hold !== undefined, o.unhold, o.time, o.channel !== undefined || o.revision !== undefined].filter(Boolean).length > 1) {
        throw new SkiffError('usage', 'refresh takes at most one of --list, --hold, --unhold, --time and --channel/--revision');
      }
      if (o.time) {
        if (names.length) throw new SkiffError('usage', 'refresh --time takes no app name');
        const t = await either(cmd, async (api) => (await api.call<{ refresh: RefreshTimes }>('GET', '/v1/system')).refresh,
          () => withOps(cmd, o, async (ops) => lib.times().refreshTimes(ops.device)));
        output(!!o.json, t, () => lib.times().formatRefreshTimes(t));
        return;
      }
      if (o.hold !== undefined) {
        const value = o.hold;
        const r = await either(cmd, (api) => api.call<verbs.HoldResult>('POST', '/v1/refresh/hold', { names, ...(value === true ? {} : { hold: value }) }),
          () => withOps(cmd, o, (ops) => verbs.hold(ops, value, names)));
        output(!!o.json, r, () => verbs.holdLine(r));
        return;
      }
      if (o.unhold) {
        const r = await either(cmd, (api) => api.call<verbs.UnholdResult>('POST', '/v1/refresh/unhold', { names }),
          () => withOps(cmd, o, (ops) => verbs.unhold(ops, names)));
        output(!!o.json, r, () => verbs.unholdLine(r));
        return;
      }
      if (o.list) {
        const ups = await either(cmd, (api) => api.call<UpdateDownload[]>('GET', `/v1/refresh${names.length ? `?names=${encodeURIComponent(names.join(','))}` : ''}`),
          () => withOps(cmd, o, (ops) => ops.refreshList(names)));
        output(!!o.json, ups, () => ups.length === 0 ? 'All apps are up to date.'
          : ups.map((u) => `${u.name}: revision ${u.from} → ${u.to} (${u.version}, ${u.channel}), download ${formatBytes(u.download.bytes)}${
            u.download.deltaFrom === null ? '' : ` (delta from revision ${u.download.deltaFrom})`}`).join('\n'));
        return;
      }
      if (o.channel && names.length !== 1) throw new SkiffError('usage', 'refresh --channel takes exactly one app name');
      if (o.revision && names.length !== 1) throw new SkiffError('usage', 'refresh --revision takes exactly one app name');
      const to = { ...(o.channel ? { channel: o.channel } : {}), ...(o.revision ? { revision: positiveIntArg(o.revision, '--revision') } : {}) };
      const outcomes = await either(cmd, (api) => refreshRemote(api, names, to), () => withOps(cmd, o, (ops) => ops.refresh(names, to)));
      verbs.printRefresh(outcomes, !!o.json);
    });

  program.command('revert')
    .description('go back to a retained revision and its own data; the current one is blocked from refresh')
    .argument('<name>')
    .option('--revision <n>', 'the retained revision to revert to')
    .option('--no-wait', 'fail at once if another change is in progress')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { revision?: string; wait: boolean; json?: boolean }, cmd: Command) => {
      const revision = o.revision ? positiveIntArg(o.revision, '--revision') : undefined;
      const r = await either(cmd,
        (api) => requestChange<verbs.RevertResult>(api, 'POST', `/v1/apps/${encodeURIComponent(name)}/revert`, revision ? { revision } : {}),
        () => withOps(cmd, o, (ops) => verbs.revert(ops, name, revision)));
      output(!!o.json, r, () => verbs.revertLine(r));
    });

  program.command('unblock')
    .description('let refresh offer blocked revisions again (all of the app\'s, or the one named)')
    .argument('<name>')
    .argument('[revision]')
    .option('--no-wait', 'fail at once if another change is in progress')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, revision: string | undefined, o: { wait: boolean; json?: boolean }, cmd: Command) => {
      const rev = revision === undefined ? undefined : positiveIntArg(revision, 'revision');
      const r = await either(cmd,
        (api) => api.call<{ result: verbs.UnblockResult }>('POST', `/v1/apps/${encodeURIComponent(name)}/unblock`, rev ? { revision: rev } : {}).then((a) => a.result),
        () => withOps(cmd, o, (ops) => verbs.unblock(ops, name, rev)));
      output(!!o.json, r, () => verbs.unblockLine(r));
    });

  program.command('remove')
    .description('remove an app; its data is kept for a later install unless --purge')
    .argument('<name>')
    .option('--purge', 'delete the data too')
    .option('--no-wait', 'fail at once if another change is in progress')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { purge?: boolean; wait: boolean; json?: boolean }, cmd: Command) => {
      const r = await either(cmd,
        (api) => requestChange<verbs.RemoveResult>(api, 'POST', `/v1/apps/${encodeURIComponent(name)}/remove`, { purge: !!o.purge }),
        () => withOps(cmd, o, (ops) => verbs.remove(ops, name, !!o.purge)));
      output(!!o.json, r, () => verbs.removeLine(r));
    });

  program.command('list')
    .description('installed apps')
    .option('--all', 'every retained revision, not only the current ones')
    .option('--json', 'print as JSON')
    .action(async (o: { all?: boolean; json?: boolean }, cmd: Command) => {
      type Rows = ReturnType<typeof import('../device/views').listApps>;
      const rows = await either(cmd, (api) => api.call<Rows>('GET', `/v1/apps${o.all ? '?all=true' : ''}`),
        () => withRecoveredOps(cmd, (_ops, device) => {
          const listed = lib.views().listApps(device, !!o.all);
          // "No apps installed." would hide a wrong --root: a root never set up says so.
          if (listed.length === 0 && device.state.configGet('store.url') === undefined) throw new NotSetUpError(device.root);
          return listed;
        }));
      output(!!o.json, rows, () => lib.views().formatList(rows));
    });

  program.command('info')
    .description('one installed app with its retained revisions, or what the store offers for one not installed')
    .argument('<name>')
    .option('--json', 'print as JSON')
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => {
      type Info = ReturnType<typeof import('../device/views').appInfo>;
      type StoreInfo = ReturnType<typeof import('../device/views').storeInfo>;
      const r = await either<{ info: Info } | { store: StoreInfo }>(cmd, async (api) => {
        try {
          return { info: await api.call<Info>('GET', `/v1/apps/${encodeURIComponent(name)}`) };
        } catch (err) {
          if (!(err instanceof AgentError && err.code === 'not-installed')) throw err;
          // Not installed here: the store's channel map, verified through TUF, before anyone installs it.
          try { return { store: await api.call<StoreInfo>('GET', `/v1/store/apps/${encodeURIComponent(name)}`) }; } catch (e) {
            throw e instanceof AgentError && e.code === 'not-set-up' ? err : e;
          }
        }
      }, () => withRecoveredOps(cmd, async (ops, device) => {
        if (!device.state.app(name) && device.state.configGet('store.url') !== undefined) return { store: lib.views().storeInfo(await ops.storeChannels(name), ops.architecture()) };
        return { info: lib.views().appInfo(device, name) };
      }));
      if ('store' in r) output(!!o.json, r.store, () => lib.views().formatStoreInfo(r.store));
      else output(!!o.json, r.info, () => lib.views().formatInfo(r.info));
    });

  program.command('changes')
    .description('changes made on this device')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      type Rows = ReturnType<typeof import('../device/views').changeList>;
      const rows = await either(cmd, (api) => api.call<Rows>('GET', '/v1/changes'), () => withRecoveredOps(cmd, (ops) => lib.views().changeList(ops.runner)));
      output(!!o.json, rows, () => lib.views().formatChanges(rows));
    });

  program.command('tasks')
    .description('the tasks of one change')
    .argument('<id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const n = positiveIntArg(id, 'change id');
      const v = await either(cmd, async (api) => lib.follow().plainView(await api.call<ChangeView>('GET', `/v1/changes/${n}`)), () => withRecoveredOps(cmd, (ops) => lib.views().taskList(ops.runner, n)));
      output(!!o.json, v, () => lib.views().formatTasks(v));
    });

  program.command('watch')
    .description('follow a change skiffd runs until it ends (task lines, or a progress bar on a terminal)')
    .argument('<id>')
    .option('--json', 'print the ended change as JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const n = positiveIntArg(id, 'change id');
      const v = await either(cmd, async (api) => lib.follow().plainView(await lib.follow().watchChange(api, n, { lines: !process.stderr.isTTY })), () => {
        throw new SkiffError('usage', `no skiffd answers for the device under ${rootOf(cmd)}; \`skiff tasks ${n}\` shows the change`);
      });
      output(!!o.json, v, () => lib.views().formatTasks(v));
      if (v.status !== 'done') process.exitCode = 1;
    });

  program.command('abort')
    .description('stop a change in progress and undo it (before its commit point)')
    .argument('<id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const n = positiveIntArg(id, 'change id');
      const c = await either(cmd, (api) => api.call<{ id: number; status: string }>('POST', `/v1/changes/${n}/abort`),
        () => withOps(cmd, {}, async (ops) => { const row = await ops.abort(n); return { id: row.id, status: row.status }; }));
      output(!!o.json, c, () => `change ${c.id}: abort requested (now ${c.status})`);
    });

  program.command('boot')
    .description('at start-up: mount retained revisions again, then recover interrupted changes')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => either(cmd, async (api) => {
      const { pid } = await api.call<{ pid: number }>('GET', '/v1/system');
      throw new SkiffError('agent-running', `skiffd (pid ${pid}) serves this device and booted it when it started; nothing to do`);
    }, () => withOps(cmd, {}, async (ops) => {
      const r = await ops.boot();
      for (const w of r.warnings) process.stderr.write(`skiff boot: ${w}\n`);
      output(!!o.json, { warnings: r.warnings, recovered: r.recovered.map((c) => ({ id: c.id, status: c.status })) },
        () => `mounted ${ops.device.state.allRevisions().length} revisions; recovered ${r.recovered.length} changes`
          + r.recovered.map((c) => `\n  change ${c.id}: ${c.status}`).join(''));
    })));

  const config = program.command('config').description('device settings (refresh.retain, refresh.deltas, refresh.timer, refresh.hold, refresh.max-postpone, data.max-size, system.architecture)');
  config.command('get').argument('<key>').option('--json', 'print as JSON')
    .action(async (key: string, o: { json?: boolean }, cmd: Command) => {
      const r = await either(cmd, (api) => api.call<{ key: string; value: string }>('GET', `/v1/config/${encodeURIComponent(key)}`),
        () => withOps(cmd, {}, async (_ops, device) => {
          const value = device.state.configGet(key);
          if (value === undefined) throw new SkiffError('config-invalid', `config key "${key}" is not set`);
          return { key, value };
        }));
      output(!!o.json, r, () => r.value);
    });
  config.command('set').argument('<key>').argument('<value>')
    .action(async (key: string, value: string, _o: unknown, cmd: Command) => {
      const notes = await either(cmd,
        async (api) => (await api.call<{ notes: string[] }>('PUT', `/v1/config/${encodeURIComponent(key)}`, { value })).notes,
        () => withOps(cmd, {}, (ops) => ops.configSet(key, value)));
      for (const note of notes) process.stderr.write(`skiff config: ${note}\n`);
    });
}
