// Deltas to a released revision, made off the request path: a release queues jobs in SQLite (deltas/jobs.ts),
// one worker process runs at a time, and each finished delta is published as a TUF target beside the bundles
// (docs/deltas.md). A job leaves the table only when done, so a restart runs what was queued or running again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TargetFile } from '@tufjs/models';
import { deltaTargetPath, type DeltaStats, type DeltaTargetCustom } from '@skiff/bundle';
import type { StoreContext } from '../context';
import type { AppRow, RevisionRow } from '../repositories/apps';
import { deltaJobRepository, type DeltaJobRow } from './jobs';
import type { DeltaWorkerJob } from './worker';

export interface DeltaLog { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }

/** The most a worker may print (its stats, one JSON line; or its error). */
const WORKER_OUTPUT_MAX_BYTES = 64 * 1024;

/** Whose deltas a release to `channel` asks for: the channel's previous revision, then the newest earlier ones. */
export function deltaSources(revisions: number[], target: number, previous: number | undefined, count: number): number[] {
  const older = revisions.filter((r) => r < target && r !== previous).sort((a, b) => b - a);
  const first = previous !== undefined && previous !== target ? [previous] : [];
  return [...first, ...older].slice(0, count);
}

export function deltaService(ctx: StoreContext, log: DeltaLog) {
  const jobs = deltaJobRepository(ctx.db);
  let running: Promise<void> | null = null;
  let current: { job: DeltaJobRow; worker: ChildProcess | null } | null = null;
  let stopped = false;
  const s = ctx.settings;
  // What a killed worker left is of no use: every job starts from the blobs.
  rmSync(ctx.paths.deltaWork, { recursive: true, force: true });
  mkdirSync(ctx.paths.deltaWork, { recursive: true, mode: 0o700 });

  const revisionsInChannels = (app: AppRow) => new Set(ctx.apps.channels(app.id).map((c) => c.revision));
  const factsOf = (job: DeltaJobRow) => ({ name: job.name, from: job.source, to: job.target });

  /** Settles when the job is done (published, not worth publishing, or no longer wanted); throws when it failed. */
  async function runOne(job: DeltaJobRow): Promise<void> {
    const app = ctx.apps.find(job.name);
    const src = app && ctx.apps.revision(app.id, job.source);
    const dst = app && ctx.apps.revision(app.id, job.target);
    const path = deltaTargetPath(job.name, job.source, job.target);
    if (!app || !src || !dst || ctx.tuf.target(path)) return;
    if (!revisionsInChannels(app).has(job.target)) {
      log.info(factsOf(job), 'delta job dropped: its target revision left the channels');
      return;
    }
    // A folder of its own: a worker orphaned by a crash of the store cannot write into the next job's files.
    const dir = mkdtempSync(join(ctx.paths.deltaWork, 'job-'));
    const out = join(dir, 'delta');
    try {
      const started = Date.now();
      const stats = await runWorker({
        source: join(ctx.paths.blobs, src.sha256), target: join(ctx.paths.blobs, dst.sha256), out,
        options: { workDir: dir, level: s.deltaCompressionLevel, timeoutMs: s.deltaTimeoutSeconds * 1000, queueMiB: Math.floor(s.deltaMemoryMiB / 4) },
      });
      const facts = { ...factsOf(job), bytes: stats.size, bundleBytes: dst.size, ms: Date.now() - started };
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
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const deltaTarget = (job: DeltaJobRow, stats: DeltaStats, dst: RevisionRow): TargetFile => {
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

  /** The worker leads a process group of its own, so a timeout or a stop kills its unsquashfs and zstd too. */
  const killGroup = (child: ChildProcess) => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } };

  function runWorker(job: DeltaWorkerJob): Promise<DeltaStats> {
    return new Promise((resolve, reject) => {
      // stdin stays open while the store lives: the worker kills its group when it closes (worker.ts).
      const child = spawn(process.execPath, [`--max-old-space-size=${s.deltaMemoryMiB}`, join(__dirname, 'worker.js'), JSON.stringify(job)], {
        detached: true, stdio: ['pipe', 'pipe', 'pipe'],
      });
      if (current) current.worker = child;
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < WORKER_OUTPUT_MAX_BYTES) stdout += d; });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < WORKER_OUTPUT_MAX_BYTES) stderr += d; });
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; killGroup(child); }, s.deltaTimeoutSeconds * 1000);
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (current) current.worker = null;
        if (code === 0) resolve(JSON.parse(stdout) as DeltaStats);
        else if (timedOut) reject(new Error(`the worker took longer than ${s.deltaTimeoutSeconds} s and was killed`));
        else reject(new Error(stderr.trim() || `the worker ended by ${signal ?? `exit ${code}`}`));
      });
    });
  }

  async function drain(): Promise<void> {
    for (let job = jobs.next(); job && !stopped; job = jobs.next()) {
      if (job.attempts >= s.deltaJobAttempts) {
        jobs.remove(job.id);
        log.warn({ ...factsOf(job), attempts: job.attempts }, 'delta job dropped: every attempt failed');
        continue;
      }
      jobs.started(job.id);
      current = { job, worker: null };
      try {
        await runOne(job);
        jobs.remove(job.id);
      } catch (err) {
        // Stopped under it: the job stays queued for the next start.
        if (!stopped) log.warn({ ...factsOf(job), attempt: job.attempts + 1, of: s.deltaJobAttempts, err: (err as Error).message }, 'delta not made');
      } finally {
        current = null;
      }
    }
  }

  function start(): void {
    if (running || stopped || s.deltaSourceRevisions === 0 || !jobs.next()) return;
    running = drain()
      .then(() => true, (err: unknown) => { log.warn({ err: (err as Error).message }, 'delta jobs stopped'); return false; })
      .then((ok) => { running = null; if (ok) start(); });
  }

  return {
    /** Queues the deltas to `revision`, released to a channel that held `previous` (call inside the release's transaction). */
    queue(app: AppRow, revision: number, previous: number | undefined): void {
      if (s.deltaSourceRevisions === 0) return;
      const revs = ctx.apps.revisions(app.id).map((r) => r.revision);
      jobs.queue(app.id, revision, deltaSources(revs, revision, previous, s.deltaSourceRevisions));
    },
    /** Runs the queued jobs, one at a time, until none is left (after a release commits, and at store start). */
    start,
    /** The jobs still to run, oldest first. */
    pending: () => jobs.all(),
    /** Kills the running worker (server shutdown); its job is not counted as an attempt and runs at the next start. */
    stop(): void {
      if (stopped) return;
      stopped = true;
      if (!current) return;
      jobs.uncount(current.job.id);
      if (current.worker) killGroup(current.worker);
    },
    /** Settles when no job is queued or running (tests, benchmarks, shutdown). */
    idle: async (): Promise<void> => { while (running) await running; },
  };
}
export type DeltaService = ReturnType<typeof deltaService>;
