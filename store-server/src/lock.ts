import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '@skiff/bundle';
import { StoreSetupError } from './errors';

/**
 * One server per data folder: two would each believe they serialize releases. DATA/serve.pid holds
 * the owner's pid; a file left by a killed server (its pid gone) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'serve.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch { /* already gone */ }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new StoreSetupError(`another skiff-store serve (pid ${pid}) is running on ${dataDir}`);
      }
      unlinkSync(path);
    }
  }
  throw new StoreSetupError(`cannot take ${path}`);
}
