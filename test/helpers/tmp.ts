import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary directory removed by `cleanup()`; files are written relative to it. */
export class TempDir {
  readonly path: string;

  constructor(prefix = 'spool-test-') {
    this.path = mkdtempSync(join(tmpdir(), prefix));
  }

  file(relativePath: string, content: string): string {
    const path = join(this.path, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  json(relativePath: string, value: unknown): string {
    return this.file(relativePath, JSON.stringify(value, null, 2));
  }

  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
