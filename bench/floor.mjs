// The floor of an install, shared by bench/install.mjs and bench/agent.mjs: `curl -o` + `sync FILE`
// (fsync) + `sha256sum` + `mount -o loop,ro` of the same bundle, from the same store.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const now = () => Number(process.hrtime.bigint()) / 1e6;

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** One floor run in a fresh folder under work; returns its milliseconds, pushing its steps onto `steps`. */
export function installFloor(url, sha256, work, steps) {
  const dir = mkdtempSync(join(work, 'floor-'));
  const file = join(dir, 'b.skiff');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const t0 = now();
  run('curl', ['-sSf', '-o', file, url]);
  const t1 = now();
  run('sync', [file]); // coreutils sync FILE = fsync(FILE)
  const t2 = now();
  const sum = run('sha256sum', [file]).split(' ')[0];
  const t3 = now();
  run('mount', ['-o', 'loop,ro', file, mnt]);
  const ms = now() - t0;
  steps.push({ curl: t1 - t0, fsync: t2 - t1, sha256sum: t3 - t2, mount: t0 + ms - t3 });
  run('umount', [mnt]);
  if (sum !== sha256) throw new Error('floor: hash mismatch');
  rmSync(dir, { recursive: true, force: true });
  return ms;
}
