// Deltas to a released revision, made off the request path: a release queues jobs, one worker process
// runs at a time, and each finished delta is published as a TUF target beside the bundles (docs/deltas.md).
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TargetFile } from '@tufjs/models';
import { deltaTargetPath, type DeltaStats, type DeltaTargetCustom } from '@skiff/bundle';
import type { StoreContext } from '../context';
import type { AppRow, RevisionRow } from '../repositories/apps';
import type { DeltaWorkerJob } from './worker';

export interface DeltaLog { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }

interface Job { name: string; source: number; target: number }

/** Whose deltas a release to `channel` asks for: the channel's previous revision, then the newest earlier ones. */
export function deltaSources(revisions: number[], target: number, previous: number | undefined, count: number): number[] {
  const older = revisions.filter((r) => r < target && r !== previous).sort((a, b) => b - a);
  const first = previous !== undefined && previous !== target ? [previous] : [];
  return [...first, ...older].slice(0, count);
}

export function deltaService(ctx: StoreContext, log: DeltaLog) {
  const queue: Job[] = [];
  let running: Promise<void> | null = null;
  let worker: ChildProcess | null = null;
  const s = ctx.settings;
  // What a killed worker left is of no use: every job starts from the blobs.
  rmSync(ctx.paths.deltaWork, { recursive: true, force: true });
  mkdirSync(ctx.paths.deltaWork, { recursive: true, mode: 0o700 });

  const revisionsInChannels = (app: AppRow) => new Set(ctx.apps.channels(app.id).map((c) => c.revision));

  async function runOne(job: Job): Promise<void> {
    const app = ctx.apps.find(job.name);
    const src = app && ctx.apps.revision(app.id, job.source);
    const dst = app && ctx.apps.revision(app.id, job.target);
    const path = deltaTargetPath(job.name, job.source, job.target);
    if (!app || !src || !dst || ctx.tuf.target(path)) return;
    const out = join(ctx.paths.deltaWork, `${job.name}.${job.source}-${job.target}.delta`);
    try {
      const started = Date.now();
      const stats = await runWorker({
        source: join(ctx.paths.blobs, src.sha256), target: join(ctx.paths.blobs, dst.sha256), out,
        options: { workDir: ctx.paths.deltaWork, level: s.deltaCompressionLevel, timeoutMs: s.deltaTimeoutSeconds * 1000, queueMiB: Math.floor(s.deltaMemoryMiB / 4) },
      });
      const ms = Date.now() - started;
      const facts = { name: job.name, from: job.source, to: job.target, bytes: stats.size, bundleBytes: dst.size, ms };
      // Released elsewhere meanwhile, or not small enough beside the full bundle: not worth a download.
      const small = stats.size * 100 < dst.size * s.deltaMaxPercentOfBundle;
      const add = small && revisionsInChannels(app).has(job.target) ? [{ target: deltaTarget(job, stats, dst), blobPath: out }] : [];
      const retired = retiredDeltas(app, job.target).map((p) => ({ path: p, file: ctx.tuf.targetFile(p, ctx.tuf.target(p)!.hashes.sha256!) }));
      ctx.tuf.updateTargets(add, retired.map((r) => r.path));
      // Unsigned now: a device still holding the previous bin gets a 404 and falls back to the full bundle.
      for (const r of retired) rmSync(r.file, { force: true });
      if (add.length) log.info(facts, 'delta published');
      else if (!small) log.info(facts, 'delta not published: not small enough beside the full bundle');
    } finally {
      rmSync(out, { force: true });
    }
  }

  const deltaTarget = (job: Job, stats: DeltaStats, dst: RevisionRow): TargetFile => {
    const custom: DeltaTargetCustom = { name: job.name, source: job.source, target: job.target, bundleSha256: dst.sha256, bundleLength: dst.size };
    return TargetFile.fromJSON(deltaTargetPath(job.name, job.source, job.target), { length: stats.size, hashes: { sha256: stats.sha256 }, custom: { ...custom } });
  };

  /** Delta targets of revisions that left every channel: deleted with the releases they served. */
  function retiredDeltas(app: AppRow, keep: number): string[] {
    const live = revisionsInChannels(app).add(keep);
    const revs = ctx.apps.revisions(app.id).map((r) => r.revision);
    const out: string[] = [];
    for (const to of revs) if (!live.has(to)) for (const from of revs) {
      const path = deltaTargetPath(app.name, from, to);
      if (ctx.tuf.target(path)) out.push(path);
    }
    return out;
  }

  function runWorker(job: DeltaWorkerJob): Promise<DeltaStats> {
    return new Promise((resolve, reject) => {
      worker = execFile(process.execPath, [`--max-old-space-size=${s.deltaMemoryMiB}`, join(__dirname, 'worker.js'), JSON.stringify(job)], {
        timeout: s.deltaTimeoutSeconds * 1000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024,
      }, (err, stdout, stderr) => {
        worker = null;
        if (err) reject(new Error(stderr.trim() || err.message));
        else resolve(JSON.parse(stdout) as DeltaStats);
      });
    });
  }

  async function drain(): Promise<void> {
    for (let job = queue.shift(); job; job = queue.shift()) {
      try {
        await runOne(job);
      } catch (err) {
        log.warn({ name: job.name, from: job.source, to: job.target, err: (err as Error).message }, 'delta not made');
      }
    }
  }

  function start(): void {
    if (running || queue.length === 0) return;
    running = drain().finally(() => { running = null; start(); });
  }

  return {
    /** Queues the deltas to `revision`, just released to a channel that held `previous`. */
    schedule(app: AppRow, revision: number, previous: number | undefined): void {
      if (s.deltaSourceRevisions === 0) return;
      const revs = ctx.apps.revisions(app.id).map((r) => r.revision);
      for (const source of deltaSources(revs, revision, previous, s.deltaSourceRevisions)) {
        if (!queue.some((j) => j.name === app.name && j.source === source && j.target === revision)) queue.push({ name: app.name, source, target: revision });
      }
      start();
    },
    /** Drops queued jobs and kills the running worker (server shutdown). */
    stop(): void {
      queue.length = 0;
      worker?.kill('SIGKILL');
    },
    /** Settles when no job is queued or running (tests, benchmarks, shutdown). */
    idle: async (): Promise<void> => { while (running) await running; },
  };
}
export type DeltaService = ReturnType<typeof deltaService>;
