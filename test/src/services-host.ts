// A tiny stand-in for skiffd while it is being built: hosts servicesModule() in a process of its own,
// so that tests can SIGKILL and restart the supervisor for real. Commands arrive on stdin as JSON
// lines {seq, op, args}; answers {seq, ok, result | error} and events {event, ...} leave on stdout.
// Usage: node services-host.js ROOT [SETTINGS_JSON]
import { createInterface } from 'node:readline';
import { DeviceLayout } from '@skiff/bundle';
import { openDevice } from '@skiff/client/dist/src/device';
import { DeviceOps } from '@skiff/client/dist/src/device/ops';
import { servicesModule } from '@skiff/client/dist/src/services';
import type { AgentContext } from '@skiff/client/dist/src/agent/module';

const [root, settingsJson] = process.argv.slice(2);
if (!root) {
  process.stderr.write('usage: services-host ROOT [SETTINGS_JSON]\n');
  process.exit(2);
}
const say = (obj: object): void => { process.stdout.write(JSON.stringify(obj) + '\n'); };
const log = { info: (o: object, m?: string) => say({ event: 'log', level: 'info', msg: m, ...o }),
  warn: (o: object, m?: string) => say({ event: 'log', level: 'warn', msg: m, ...o }),
  error: (o: object, m?: string) => say({ event: 'log', level: 'error', msg: m, ...o }) };
// One change per app at a time, as skiffd promises; here one at a time altogether is enough.
let queue: Promise<unknown> = Promise.resolve();
const ctx: AgentContext = {
  root, layout: new DeviceLayout(root), log,
  withApp<T>(_name: string, fn: (ops: DeviceOps) => Promise<T>): Promise<T> {
    const run = queue.then(() => fn(new DeviceOps(openDevice(root))));
    queue = run.catch(() => undefined);
    return run;
  },
};
const mod = servicesModule(settingsJson ? JSON.parse(settingsJson) : {});

async function main(): Promise<void> {
  await mod.start(ctx);
  const sup = mod.supervisor;
  for (const event of ['exit', 'ready', 'started', 'failed']) {
    sup.on(event, (id: string, exit?: unknown) => say({ event, id, exit, at: Date.now() }));
  }
  const ops: Record<string, (...a: any[]) => Promise<unknown> | unknown> = {
    list: (names: string[] = []) => mod.list(names),
    act: (action, names, startup) => mod.act(ctx, action, names, startup),
    logs: (name: string, n: number) => mod.logs(name, n),
    waitUp: (name: string, app: string) => sup.waitUp(name, app),
    startApp: (name: string) => sup.startAppServices(name, { fresh: true }),
  };
  say({ event: 'host-ready', pid: process.pid });
  for await (const line of createInterface({ input: process.stdin })) {
    const { seq, op, args } = JSON.parse(line) as { seq: number; op: string; args: unknown[] };
    Promise.resolve().then(() => ops[op]!(...args))
      .then((result) => say({ seq, ok: true, result }), (e: Error) => say({ seq, ok: false, error: e.message }));
  }
  await mod.stop();
}

main().catch((e: Error) => { process.stderr.write(`services-host: ${e.stack}\n`); process.exit(1); });
