// A delta computed in its own process: its heap is capped by the parent (--max-old-space-size), and a
// timeout kills it without touching the server. argv[2] is the job as JSON; the stats are printed as JSON.
import { makeDelta, type MakeDeltaOptions } from '@skiff/bundle';
import { zstdCompressBlock, zstdDecompressBlock, zstdMakePatch, zstdPatch } from '@skiff/native';

export interface DeltaWorkerJob { source: string; target: string; out: string; options: Omit<MakeDeltaOptions, 'zstd'> }

// The store holds our stdin open while it lives: when it closes, the store died (even by SIGKILL), and the
// worker takes its process group (unsquashfs, zstd) with it rather than run on for no one.
process.stdin.once('end', () => process.kill(-process.pid, 'SIGKILL'));
process.stdin.resume();

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as DeltaWorkerJob;
  const zstd = { compress: zstdCompressBlock, decompress: zstdDecompressBlock, patch: zstdPatch, makePatch: zstdMakePatch };
  const stats = await makeDelta(job.source, job.target, job.out, { ...job.options, zstd });
  process.stdout.write(JSON.stringify(stats) + '\n');
  process.stdin.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
