import { open, type FileHandle } from 'node:fs/promises';

export interface AppendFileOptions {
  /** Buffered bytes reach the file at the latest this long after they were appended. */
  readonly flushIntervalMs: number;
  /** Above this many buffered bytes, `flushIfDue` writes them out (bounds memory). */
  readonly maxBufferBytes: number;
}

/**
 * An append-only file with a write buffer that is flushed on demand, when it grows past a bound,
 * and by a timer, so that a killed process loses at most flushIntervalMs of data. Each flush is one
 * positioned write of whole units (TS packets of whole frames), so a file on disk ends where a
 * flush ended unless the kill landed inside that write.
 */
export class AppendFile {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Bytes the file holds once every flush started so far has completed. */
  private fileBytes = 0;
  private lastFlushMs = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** A timer flush failed: the next append reports it to the caller. */
  private backgroundError: unknown;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly options: AppendFileOptions,
  ) {}

  static async create(path: string, options: AppendFileOptions): Promise<AppendFile> {
    return new AppendFile(await open(path, 'w'), options);
  }

  /** Bytes in the file after everything appended so far is flushed. */
  get size(): number {
    return this.fileBytes + this.pendingBytes;
  }

  /** Buffers the bytes; throws the error of a failed background flush (those bytes are lost). */
  append(bytes: Uint8Array): void {
    if (this.closed) throw new Error('the file is closed');
    this.throwBackgroundError();
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => (this.backgroundError ??= error));
    }, this.options.flushIntervalMs).unref();
  }

  /** Flushes when the buffer is over its bound or the interval has passed; awaiting it is the backpressure. */
  async flushIfDue(): Promise<void> {
    const dueMs = this.lastFlushMs + this.options.flushIntervalMs;
    if (this.pendingBytes >= this.options.maxBufferBytes || performance.now() >= dueMs) await this.flush();
  }

  /** Writes out everything appended so far; flushes run one after another. */
  flush(): Promise<void> {
    const run = this.queue.then(() => this.writePending());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Flushes and closes; reports a failed background flush that no append has reported yet. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      clearTimeout(this.timer);
      await this.handle.close();
    }
    this.throwBackgroundError();
  }

  private throwBackgroundError(): void {
    if (this.backgroundError === undefined) return;
    const error = this.backgroundError;
    this.backgroundError = undefined;
    throw error;
  }

  private async writePending(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlushMs = performance.now();
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const position = this.fileBytes;
    this.fileBytes += data.length;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let written = 0;
      while (written < data.length) {
        const result = await this.handle.write(data, written, data.length - written, position + written);
        written += result.bytesWritten;
      }
    } catch (error) {
      // The bytes are dropped and a partial write is cut off, so the file stays whole units.
      this.fileBytes = position;
      await this.handle.truncate(position).catch(() => undefined);
      throw new Error(`writing ${data.length} bytes at ${position} failed`, { cause: error });
    }
  }
}
