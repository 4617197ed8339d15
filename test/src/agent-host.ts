// A tiny stand-in for skiffd in tests: hosts agent modules in a real process of its own (boot, then start,
// JSON log lines on stdout, SIGTERM stops them and exits 0), until the real agent takes its place.
// Usage: node agent-host.js --root R [--postpone-recheck-ms N]
import { DeviceLayout } from '@skiff/bundle';
import type { AgentContext, AgentLog } from '@skiff/client/dist/src/agent/module';
import { openDevice } from '@skiff/client/dist/src/device';
import { DeviceOps } from '@skiff/client/dist/src/device/ops';
import { autoRefreshModule } from '@skiff/client/dist/src/device/autorefresh/module';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const line = (level: string) => (obj: object, msg?: string): void => {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, ...obj, ...(msg ? { msg } : {}) })}\n`);
};
const log: AgentLog = { info: line('info'), warn: line('warn'), error: line('error') };

async function main(): Promise<void> {
  const root = arg('--root');
  if (!root) throw new Error('agent-host: --root R is required');
  const device = openDevice(root);
  const ops = new DeviceOps(device, { progress: false });
  await ops.boot();
  // One change per app at a time: a chain of promises per name.
  const queues = new Map<string, Promise<unknown>>();
  const ctx: AgentContext = {
    root, layout: new DeviceLayout(root), log,
    withApp<T>(name: string, fn: (o: DeviceOps) => Promise<T>): Promise<T> {
      const run = (queues.get(name) ?? Promise.resolve()).catch(() => undefined).then(() => fn(ops));
      queues.set(name, run);
      return run;
    },
  };
  const recheck = arg('--postpone-recheck-ms');
  const module = autoRefreshModule(recheck ? { postponeRecheckMs: Number(recheck) } : {});
  await module.start(ctx);
  log.info({ event: 'started', times: module.times() }, 'agent host ready');
  process.once('SIGTERM', () => {
    void module.stop().then(() => { device.close(); log.info({ event: 'stopped' }); process.exit(0); });
  });
}

main().catch((err: Error) => { log.error({ event: 'fatal', error: err.message }); process.exit(1); });
