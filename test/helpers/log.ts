import type { DestinationStream } from 'pino';

/** Captures Spool's JSON log lines in memory so tests can assert on what an operator would read. */
export class LogCapture implements DestinationStream {
  readonly lines: Array<Record<string, unknown>> = [];

  write(line: string): void {
    for (const part of line.split('\n')) if (part.trim() !== '') this.lines.push(JSON.parse(part));
  }

  messages(): string[] {
    return this.lines.map((line) => String(line.msg));
  }

  find(predicate: (line: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.lines.find(predicate);
  }
}
