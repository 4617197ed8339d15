// The stdio of a supervised process (a hook now, services later): never the caller's terminal.
import { closeSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { openPipe } from './spawn';

export type OutputStream = 'stdout' | 'stderr';
/** Takes each chunk a captured process writes, as it arrives (confinement's OutputCollector is one). */
export type OutputSink = (stream: OutputStream, chunk: Buffer) => void;

/** Milliseconds to wait, once the process has exited, for its pipes to close before cutting them off. */
export const OUTPUT_DRAIN_MS = 5_000;

/**
 * stdin is /dev/null (EOF at once, never the admin's input); stdout and stderr are pipes read into
 * the sink on the event loop (epoll, no pool thread), always drained so the child never blocks
 * on a full pipe. Pass childFds to spawn, then call spawned() (or abandon() if the spawn failed).
 */
export class CapturedStdio {
  readonly childFds: [number, number, number];
  private readonly readers: Socket[] = [];
  private readonly closed: Promise<void>[] = [];
  private childEndsOpen = true;

  constructor(sink: OutputSink) {
    const opened: number[] = [];
    try {
      opened.push(openSync('/dev/null', 'r'));
      opened.push(...openPipe());
      opened.push(...openPipe());
    } catch (e) {
      for (const fd of opened) closeQuietly(fd);
      throw e;
    }
    const [devNull, outRead, outWrite, errRead, errWrite] = opened;
    this.childFds = [devNull, outWrite, errWrite];
    this.read(outRead, 'stdout', sink);
    this.read(errRead, 'stderr', sink);
  }

  /** Closes this process's copies of the child's ends, so the pipes end when the child's last copy closes. */
  spawned(): void {
    if (!this.childEndsOpen) return;
    this.childEndsOpen = false;
    for (const fd of this.childFds) closeQuietly(fd);
  }

  /** The spawn or the wait failed: close everything now. */
  abandon(): void {
    this.spawned();
    for (const r of this.readers) r.destroy();
  }

  /**
   * Resolves once both pipes are at end of file, or after drainMs: a descriptor passed out of the
   * sandbox could hold them open forever, and the caller must not wait on it.
   */
  async drained(drainMs = OUTPUT_DRAIN_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, drainMs); });
    try {
      await Promise.race([Promise.all(this.closed), deadline]);
    } finally {
      clearTimeout(timer);
      for (const r of this.readers) r.destroy();
    }
  }

  private read(fd: number, stream: OutputStream, sink: OutputSink): void {
    const reader = new Socket({ fd, readable: true, writable: false });
    this.readers.push(reader);
    this.closed.push(new Promise((resolve) => reader.once('close', () => resolve())));
    reader.on('data', (chunk: Buffer) => sink(stream, chunk));
    reader.on('error', () => { /* a read error ends the stream like EOF; 'close' follows */ });
  }
}

function closeQuietly(fd: number): void {
  try { closeSync(fd); } catch { /* already closed */ }
}
