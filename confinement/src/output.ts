// What a confined process prints, made safe to store and show: no byte of it may drive the reader's terminal.
// Pure text (native captures the bytes; deciding what is safe to keep and show is policy, so it is here).
import type { OutputStream } from '@skiff/native';

/** Bytes of output kept per run by default (the newest; older lines are dropped and counted). */
export const OUTPUT_MAX_BYTES = 64 * 1024;
/** Bytes after which a line without a newline is cut, so one endless line cannot grow without bound. */
export const OUTPUT_LINE_MAX_BYTES = 4096;

export type { OutputStream };
export interface OutputLine { stream: OutputStream; text: string }
/** The kept lines in the order they arrived, and how many bytes were dropped to stay within the cap. */
export interface CapturedOutput { lines: OutputLine[]; droppedBytes: number }

// One pass, left to right. Anything a terminal could act on is removed whole where its shape is known
// (so no parameters are left behind as text), and the last alternative catches every remaining control.
const CONTROLS = new RegExp([
  // OSC, DCS, SOS, PM, APC (7-bit ESC form or C1): a string up to BEL or ST, or to the end.
  String.raw`(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?`,
  // CSI: parameter bytes, intermediate bytes, a final byte.
  String.raw`(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?`,
  // Every other escape sequence (ESC c, ESC ( B, ESC 7...): intermediates and a final byte.
  String.raw`\x1b[\x20-\x2f]*[\x30-\x7e]?`,
  // C0 controls but tab and newline, DEL, and C1 controls.
  String.raw`[\x00-\x08\x0b-\x1f\x7f-\x9f]`,
].join('|'), 'g');

/** Text with every terminal control sequence and control character removed (tab and newline stay). */
export function cleanText(text: string): string {
  return text.replace(CONTROLS, '');
}

/** Decodes bytes as UTF-8 (an invalid sequence becomes U+FFFD) and cleans them. */
export function cleanBytes(bytes: Buffer): string {
  return cleanText(bytes.toString('utf8'));
}

/**
 * Splits one stream's bytes into lines as chunks arrive, each passed on as its own copy with the
 * bytes it took (newline included). The newline byte never occurs inside a UTF-8 sequence, so each
 * line decodes on its own with cleanBytes.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly onLine: (line: Buffer, bytes: number) => void, private readonly lineMaxBytes = OUTPUT_LINE_MAX_BYTES) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.add(chunk.subarray(start, nl));
      this.flush(1);
      start = nl + 1;
    }
    this.add(chunk.subarray(start));
  }

  /** Emits the last line if it had no newline. */
  end(): void {
    if (this.pendingBytes > 0) this.flush(0);
  }

  private add(part: Buffer): void {
    for (;;) {
      const take = Math.min(this.lineMaxBytes - this.pendingBytes, part.length);
      if (take > 0) this.pending.push(part.subarray(0, take));
      this.pendingBytes += take;
      part = part.subarray(take);
      if (part.length === 0) return;
      this.flush(0); // the line is full and goes on: cut it here
    }
  }

  private flush(newlineBytes: number): void {
    const line = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.onLine(line, line.length + newlineBytes);
  }
}

/**
 * Collects both streams of one run, keeping the newest maxBytes (counted as received). While the run
 * goes on it only keeps and drops whole chunks, so a flood of short lines costs no work per line;
 * finish() splits what is left into lines and cleans them.
 */
export class OutputCollector {
  private readonly chunks: { stream: OutputStream; chunk: Buffer }[] = [];
  private first = 0;
  private chunkBytes = 0;
  private droppedBytes = 0;

  constructor(private readonly maxBytes = OUTPUT_MAX_BYTES) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new TypeError('maxOutputBytes must be an integer >= 0');
  }

  push(stream: OutputStream, chunk: Buffer): void {
    // Its own allocation: a small slice of a larger buffer would keep all of it alive.
    const own = Buffer.allocUnsafeSlow(chunk.length);
    chunk.copy(own);
    this.chunks.push({ stream, chunk: own });
    this.chunkBytes += own.length;
    while (this.first < this.chunks.length - 1 && this.chunkBytes - this.chunks[this.first].chunk.length >= this.maxBytes) {
      const old = this.chunks[this.first++].chunk;
      this.chunkBytes -= old.length;
      this.droppedBytes += old.length;
    }
    // Compact now and then, so a long run does not keep every dropped entry.
    if (this.first > 1024 && this.first * 2 > this.chunks.length) {
      this.chunks.splice(0, this.first);
      this.first = 0;
    }
  }

  /** The kept output as cleaned lines in the order they arrived (a line cut by the drop keeps its end). */
  finish(): CapturedOutput {
    const lines: { stream: OutputStream; line: Buffer; bytes: number }[] = [];
    const splitter = (stream: OutputStream) => new LineSplitter((line, bytes) => lines.push({ stream, line, bytes }));
    const splitters = { stdout: splitter('stdout'), stderr: splitter('stderr') };
    for (const { stream, chunk } of this.chunks.slice(this.first)) splitters[stream].push(chunk);
    splitters.stdout.end();
    splitters.stderr.end();
    let kept = lines.reduce((n, l) => n + l.bytes, 0);
    let start = 0;
    let dropped = this.droppedBytes;
    for (; kept > this.maxBytes; start++) {
      kept -= lines[start].bytes;
      dropped += lines[start].bytes;
    }
    return { lines: lines.slice(start).map((l) => ({ stream: l.stream, text: cleanBytes(l.line) })), droppedBytes: dropped };
  }
}
