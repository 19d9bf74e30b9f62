/**
 * ffmpeg's stderr, read line by line. ffmpeg runs with `-loglevel level+warning`, so every line it
 * prints is a warning or worse and starts with its level in brackets: warnings go to the log (a bounded
 * number per process), errors end the transcoder, and the last lines are kept to explain a failure.
 */
const TAIL_LINES = 8;
const MAX_LOGGED_WARNINGS = 20;
const MAX_LINE_CHARS = 500;

export class FfmpegStderr {
  private readonly tail: string[] = [];
  private partial = '';
  private warnings = 0;

  constructor(
    private readonly onWarning: (line: string) => void,
    private readonly onErrorLine: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString('utf8')).split(/\r?\n|\r/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** Whatever ffmpeg printed without a final newline. */
  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  /** The last lines ffmpeg printed, joined for an error message ('' when it printed nothing). */
  text(): string {
    return this.tail.join(' | ');
  }

  private line(raw: string): void {
    const line = raw.trim().slice(0, MAX_LINE_CHARS);
    if (line === '') return;
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    if (/\[(error|fatal|panic)\]/.test(line)) {
      this.onErrorLine(line);
    } else if (this.warnings < MAX_LOGGED_WARNINGS) {
      this.warnings++;
      this.onWarning(
        this.warnings === MAX_LOGGED_WARNINGS ? `${line} (further ffmpeg warnings are not logged)` : line,
      );
    }
  }
}
