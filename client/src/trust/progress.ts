// The progress bar of a download or an upload on stderr (bytes, rate, ETA), drawn only when asked (by default on a TTY).
import { formatBytes } from '../format';

export interface Progress {
  update(bytes: number): void;
  stop(): void;
}

/** Loads cli-progress only when a bar is drawn: most device commands never show one. */
export async function progressBar(label: string, total: number, start: number): Promise<Progress> {
  const { SingleBar } = await import('cli-progress');
  const began = Date.now();
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% {done}/{size} {rate} ETA {eta_formatted}`,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
  });
  const payload = (value: number) => {
    const seconds = Math.max((Date.now() - began) / 1000, 0.001);
    return { done: formatBytes(value), size: formatBytes(total), rate: `${formatBytes(Math.round((value - start) / seconds))}/s` };
  };
  bar.start(total, start, payload(start));
  return {
    update: (bytes) => bar.update(bytes, payload(bytes)),
    stop: () => bar.stop(),
  };
}

export const noProgress: Progress = { update: () => undefined, stop: () => undefined };
