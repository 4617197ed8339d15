// What a confined process prints, made safe to store and show: no byte of it may drive the reader's terminal.

/** Bytes of output kept per run by default (the newest; older lines are dropped and counted). */
export const OUTPUT_MAX_BYTES = 64 * 1024;
/** Bytes after which a line without a newline is cut, so one endless line cannot grow without bound. */
export const OUTPUT_LINE_MAX_BYTES = 4096;

export type OutputStream = 'stdout' | 'stderr';
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
 * Splits one stream's bytes into cleaned lines as chunks arrive. Lines are split on the raw newline
 * byte, which never occurs inside a UTF-8 sequence, so each line decodes on its own.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly onLine: (text: string, bytes: number) => void, private readonly lineMaxBytes = OUTPUT_LINE_MAX_BYTES) {}

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
    this.onLine(cleanBytes(line), line.length + newlineBytes);
  }
}

/** Collects both streams of one run as cleaned lines, keeping the newest maxBytes (counted as received). */
export class OutputCollector {
  private readonly lines: { line: OutputLine; bytes: number }[] = [];
  private first = 0;
  private keptBytes = 0;
  private droppedBytes = 0;
  private readonly splitters: Record<OutputStream, LineSplitter>;

  constructor(private readonly maxBytes = OUTPUT_MAX_BYTES) {
    const sink = (stream: OutputStream) => (text: string, bytes: number) => this.keep({ stream, text }, bytes);
    this.splitters = { stdout: new LineSplitter(sink('stdout')), stderr: new LineSplitter(sink('stderr')) };
  }

  push(stream: OutputStream, chunk: Buffer): void {
    this.splitters[stream].push(chunk);
  }

  /** Ends both streams and returns what was kept. */
  finish(): CapturedOutput {
    this.splitters.stdout.end();
    this.splitters.stderr.end();
    return { lines: this.lines.slice(this.first).map((l) => l.line), droppedBytes: this.droppedBytes };
  }

  private keep(line: OutputLine, bytes: number): void {
    this.lines.push({ line, bytes });
    this.keptBytes += bytes;
    while (this.keptBytes > this.maxBytes && this.first < this.lines.length) {
      const old = this.lines[this.first++];
      this.keptBytes -= old.bytes;
      this.droppedBytes += old.bytes;
    }
    // Compact now and then, so a long run does not keep every dropped entry.
    if (this.first > 1024 && this.first * 2 > this.lines.length) {
      this.lines.splice(0, this.first);
      this.first = 0;
    }
  }
}
