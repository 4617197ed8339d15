import type { Command } from 'commander';
import { SkiffError } from '@skiff/bundle';
import { rootOf, output, positiveIntArg } from '../options';
import { openDevice, NotRootError, NotSetUpError, type Device } from '../device';
import { DeviceOps, checkSetup } from '../device/ops';
import { DeviceLock } from '../device/lock';
import { refreshTimes, formatRefreshTimes } from '../device/autorefresh/times';
import { FOREVER, HOLD_GRAMMAR, parseHoldDuration } from '../device/autorefresh/holds';
import { listApps, formatList, appInfo, formatInfo, storeInfo, formatStoreInfo, changeList, formatChanges, taskList, formatTasks } from '../device/views';
import { formatBytes } from '../format';

/** Opens the device under --root and runs fn with its verbs; closes the database whatever happens. */
async function withOps<T>(cmd: Command, opts: { wait?: boolean }, fn: (ops: DeviceOps, device: Device) => Promise<T>): Promise<T> {
  const root = rootOf(cmd); // a command line without a device is a usage error, whoever runs it
  // The device state and its mounts are root's for now: say so before anything fails on a permission.
  if (process.getuid?.() !== 0) throw new NotRootError(`skiff ${cmd.parent?.name() === 'config' ? 'config' : cmd.name()}`);
  const device = openDevice(root);
  const ops = new DeviceOps(device, { wait: opts.wait ?? true, crashAt: process.env.SKIFF_TEST_CRASH_AT });
  const stopListening = abortOnInterrupt(ops);
  try {
    return await fn(ops, device);
  } finally {
    stopListening();
    device.close();
  }
}

/** Exit status of a command ended by Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED_STATUS = 130;

/**
 * Ctrl-C asks the change this command runs to stop: it is undone at once, as `skiff abort` does. A second
 * Ctrl-C (or one with no change running) quits and leaves any change to the next command's recovery.
 */
function abortOnInterrupt(ops: DeviceOps): () => void {
  let asked = false;
  const onInterrupt = (): void => {
    // The progress bar hides the cursor and turns line wrap off: give the terminal back first.
    if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h\n');
    const change = DeviceLock.ownChange(ops.device.state);
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

/** Registers the device verbs: setup, install, refresh, revert, unblock, remove, list, info, changes, tasks, abort, boot, config. */
export function registerDeviceCommands(program: Command): void {
  program.command('setup')
    .description('set up the device: the store URL and the root metadata to trust')
    .requiredOption('--store <url>', 'store base URL')
    .requiredOption('--trust <root.json>', 'TUF root metadata shipped with the device')
    .action(async (o: { store: string; trust: string }, cmd: Command) => {
      await checkSetup(o.store, o.trust); // before the device's folders exist: a wrong path leaves nothing behind
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
    .action(async (what: string, o: { channel?: string; revision?: string; dangerous?: boolean; devmode?: boolean; wait: boolean; json?: boolean }, cmd: Command) =>
      withOps(cmd, o, async (ops) => {
        if (o.dangerous) {
          const r = await ops.installDangerous(what, { devmode: o.devmode ?? false });
          output(!!o.json, { name: r.name, revision: r.revision, version: r.version, dangerous: true, change: r.change.id },
            () => `${r.name} ${r.version} (local revision ${r.revision}) installed; dangerous: not verified by the store`);
          return;
        }
        const r = await ops.install(what, { ...(o.channel ? { channel: o.channel } : {}), ...(o.revision ? { revision: positiveIntArg(o.revision, '--revision') } : {}) });
        output(!!o.json, { name: what, revision: r.revision, version: r.version, channel: r.channel, change: r.change.id },
          () => `${what} ${r.version} (revision ${r.revision}) installed from ${r.channel}`);
      }));

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
    .action(async (names: string[], o: { list?: boolean; channel?: string; revision?: string; hold?: string | true; unhold?: boolean; time?: boolean; wait: boolean; json?: boolean }, cmd: Command) =>
      withOps(cmd, o, async (ops) => {
        if ([o.list, o.hold !== undefined, o.unhold, o.time, o.channel !== undefined || o.revision !== undefined].filter(Boolean).length > 1) {
          throw new SkiffError('usage', 'refresh takes at most one of --list, --hold, --unhold, --time and --channel/--revision');
        }
        if (o.time) {
          if (names.length) throw new SkiffError('usage', 'refresh --time takes no app name');
          const t = refreshTimes(ops.device);
          output(!!o.json, t, () => formatRefreshTimes(t));
          return;
        }
        if (o.hold !== undefined) {
          // `--hold NAME`: commander takes NAME as the option's value; a value that is no duration is a name.
          const duration = o.hold === true ? FOREVER : parseHoldDuration(o.hold);
          if (duration === null && !ops.device.state.app(o.hold as string)) {
            throw new SkiffError('usage', `--hold takes ${HOLD_GRAMMAR}, and "${o.hold as string}" is neither that nor an installed app`);
          }
          const apps = duration === null ? [o.hold as string, ...names] : names;
          const until = await ops.hold(apps, duration ?? FOREVER);
          output(!!o.json, { held: apps.length ? apps : 'all', until },
            () => `${apps.length ? apps.join(', ') : 'every app'}: automatic refresh held ${until === FOREVER ? 'forever' : `until ${until}`}`);
          return;
        }
        if (o.unhold) {
          await ops.unhold(names);
          output(!!o.json, { unheld: names.length ? names : 'all' },
            () => `${names.length ? names.join(', ') : 'every app'}: automatic refresh no longer held`);
          return;
        }
        if (o.list) {
          const ups = await ops.refreshList(names);
          output(!!o.json, ups, () => ups.length === 0 ? 'All apps are up to date.'
            : ups.map((u) => `${u.name}: revision ${u.from} → ${u.to} (${u.version}, ${u.channel}), download ${formatBytes(u.download.bytes)}${
              u.download.deltaFrom === null ? '' : ` (delta from revision ${u.download.deltaFrom})`}`).join('\n'));
          return;
        }
        if (o.channel && names.length !== 1) throw new SkiffError('usage', 'refresh --channel takes exactly one app name');
        if (o.revision && names.length !== 1) throw new SkiffError('usage', 'refresh --revision takes exactly one app name');
        const outcomes = await ops.refresh(names, {
          ...(o.channel ? { channel: o.channel } : {}), ...(o.revision ? { revision: positiveIntArg(o.revision, '--revision') } : {}) });
        const failed = outcomes.filter((x) => x.status === 'failed');
        if (o.json) output(true, outcomes, () => '');
        else if (outcomes.length === 0) process.stdout.write('All apps are up to date.\n');
        // One line per app; a failed one goes to stderr, like every other error.
        else {
          for (const x of outcomes) {
            if (x.status === 'failed') process.stderr.write(`skiff: ${x.message}\n`);
            else process.stdout.write(`${x.message}\n`);
          }
        }
        if (failed.length > 0) process.exitCode = 1;
      }));

  program.command('revert')
    .description('go back to a retained revision and its own data; the current one is blocked from refresh')
    .argument('<name>')
    .option('--revision <n>', 'the retained revision to revert to')
    .option('--no-wait', 'fail at once if another change is in progress')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { revision?: string; wait: boolean; json?: boolean }, cmd: Command) =>
      withOps(cmd, o, async (ops) => {
        const r = await ops.revert(name, o.revision ? positiveIntArg(o.revision, '--revision') : undefined);
        output(!!o.json, { name, from: r.from, revision: r.to, change: r.change.id }, () => `${name} reverted from revision ${r.from} to ${r.to}`);
      }));

  program.command('unblock')
    .description('let refresh offer blocked revisions again (all of the app\'s, or the one named)')
    .argument('<name>')
    .argument('[revision]')
    .option('--no-wait', 'fail at once if another change is in progress')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, revision: string | undefined, o: { wait: boolean; json?: boolean }, cmd: Command) =>
      withOps(cmd, o, async (ops) => {
        const cleared = await ops.unblock(name, revision === undefined ? undefined : positiveIntArg(revision, 'revision'));
        output(!!o.json, { name, unblocked: cleared }, () => cleared.length === 0 ? `${name} has no blocked revision`
          : `${name}: revision${cleared.length > 1 ? 's' : ''} ${cleared.join(', ')} unblocked`);
      }));

  program.command('remove')
    .description('remove an app; its data is kept for a later install unless --purge')
    .argument('<name>')
    .option('--purge', 'delete the data too')
    .option('--no-wait', 'fail at once if another change is in progress')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { purge?: boolean; wait: boolean; json?: boolean }, cmd: Command) =>
      withOps(cmd, o, async (ops) => {
        const r = await ops.remove(name, { purge: o.purge ?? false });
        output(!!o.json, { name, revision: r.revision, purged: !!o.purge, change: r.change.id },
          () => `${name} removed${o.purge ? ' (data purged)' : ' (data kept for a later install)'}`);
      }));

  program.command('list')
    .description('installed apps')
    .option('--all', 'every retained revision, not only the current ones')
    .option('--json', 'print as JSON')
    .action(async (o: { all?: boolean; json?: boolean }, cmd: Command) => withOps(cmd, {}, async (ops, device) => {
      await ops.recoverIfIdle();
      const rows = listApps(device, !!o.all);
      // "No apps installed." would hide a wrong --root: a root never set up says so.
      if (rows.length === 0 && device.state.configGet('store.url') === undefined) throw new NotSetUpError(device.root);
      output(!!o.json, rows, () => formatList(rows));
    }));

  program.command('info')
    .description('one installed app with its retained revisions, or what the store offers for one not installed')
    .argument('<name>')
    .option('--json', 'print as JSON')
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => withOps(cmd, {}, async (ops, device) => {
      await ops.recoverIfIdle();
      if (!device.state.app(name) && device.state.configGet('store.url') !== undefined) {
        // Not installed here: the store's channel map, verified through TUF, before anyone installs it.
        const info = storeInfo(await ops.storeChannels(name), ops.architecture());
        output(!!o.json, info, () => formatStoreInfo(info));
        return;
      }
      const i = appInfo(device, name);
      output(!!o.json, i, () => formatInfo(i));
    }));

  program.command('changes')
    .description('changes made on this device')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => withOps(cmd, {}, async (ops) => {
      await ops.recoverIfIdle();
      const rows = changeList(ops.runner);
      output(!!o.json, rows, () => formatChanges(rows));
    }));

  program.command('tasks')
    .description('the tasks of one change')
    .argument('<id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => withOps(cmd, {}, async (ops) => {
      await ops.recoverIfIdle();
      const v = taskList(ops.runner, positiveIntArg(id, 'change id'));
      output(!!o.json, v, () => formatTasks(v));
    }));

  program.command('abort')
    .description('stop a change in progress and undo it (before its commit point)')
    .argument('<id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => withOps(cmd, {}, async (ops) => {
      const c = await ops.abort(positiveIntArg(id, 'change id'));
      output(!!o.json, { id: c.id, status: c.status }, () => `change ${c.id}: abort requested (now ${c.status})`);
    }));

  program.command('boot')
    .description('at start-up: mount retained revisions again, then recover interrupted changes')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => withOps(cmd, {}, async (ops) => {
      const r = await ops.boot();
      for (const w of r.warnings) process.stderr.write(`skiff boot: ${w}\n`);
      output(!!o.json, { warnings: r.warnings, recovered: r.recovered.map((c) => ({ id: c.id, status: c.status })) },
        () => `mounted ${ops.device.state.allRevisions().length} revisions; recovered ${r.recovered.length} changes`
          + r.recovered.map((c) => `\n  change ${c.id}: ${c.status}`).join(''));
    }));

  const config = program.command('config').description('device settings (refresh.retain, refresh.deltas, refresh.timer, refresh.hold, refresh.max-postpone, data.max-size, system.architecture)');
  config.command('get').argument('<key>').option('--json', 'print as JSON')
    .action(async (key: string, o: { json?: boolean }, cmd: Command) => withOps(cmd, {}, async (_ops, device) => {
      const value = device.state.configGet(key);
      if (value === undefined) throw new SkiffError('config-invalid', `config key "${key}" is not set`);
      output(!!o.json, { key, value }, () => value);
    }));
  config.command('set').argument('<key>').argument('<value>')
    .action(async (key: string, value: string, _o: unknown, cmd: Command) => withOps(cmd, {}, async (ops) => {
      for (const note of await ops.configSet(key, value)) process.stderr.write(`skiff config: ${note}\n`);
    }));
}
