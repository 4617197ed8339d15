// One wrk run for the benches that load a server: a 1 s warm-up, then `seconds` with `connections`.
import { spawnSync } from 'node:child_process';

export const WRK_THREADS = 2;

/** Requests per second, p50 and p99 latency (wrk's text) and the count of non-2xx/3xx answers. */
export function wrk(url, { seconds, connections }) {
  spawnSync('wrk', ['-t1', '-c4', '-d1s', url]); // warm-up
  const r = spawnSync('wrk', [`-t${WRK_THREADS}`, `-c${connections}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const p50 = /50%\s+(\S+)/.exec(r.stdout)?.[1];
  const p99 = /99%\s+(\S+)/.exec(r.stdout)?.[1];
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? '0');
  return { rps, p50, p99, errors };
}
