// `skiffd [--root R]`: the device agent's command line. Logs are JSON lines on stdout.
import pino from 'pino';
import { SkiffError } from '@skiff/bundle';
import { DEFAULT_ROOT_ENV } from '../options';
import { startAgent } from './daemon';

const VERSION: string = require('../../../package.json').version;
const USAGE = 'usage: skiffd [--root DIR]   (env SKIFF_ROOT; an installed skiffd defaults to /)';

function rootFrom(args: string[]): string {
  let root: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--root') root = args[++i];
    else if (a.startsWith('--root=')) root = a.slice('--root='.length);
    else throw new SkiffError('usage', `unknown argument '${a}'; ${USAGE}`);
  }
  root ||= process.env.SKIFF_ROOT || process.env[DEFAULT_ROOT_ENV];
  if (!root) throw new SkiffError('usage', `which device? ${USAGE}`);
  return root;
}

export async function main(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) { process.stdout.write(USAGE + '\n'); return; }
  if (args.includes('--version') || args.includes('-V')) { process.stdout.write(VERSION + '\n'); return; }
  const log = pino({ base: { pid: process.pid } });
  let root: string;
  try {
    root = rootFrom(args);
  } catch (err) {
    process.stderr.write(`skiffd: ${(err as Error).message}\n`);
    process.exit(2);
  }
  try {
    const agent = await startAgent(root, log);
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      agent.stop().then(() => { log.info({}, 'stopped'); process.exit(0); },
        (err: unknown) => { log.error({ err }, 'stop failed'); process.exit(1); });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error({ code: err instanceof SkiffError ? err.code : 'internal-error' }, message);
    process.stderr.write(`skiffd: ${message}\n`);
    process.exit(1);
  }
}
