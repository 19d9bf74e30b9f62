import { statSync } from 'node:fs';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every intervalMs until it returns true; throws after timeoutMs (or when `failed` says why). */
export async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  failed: () => string | undefined = () => undefined,
  intervalMs = 500,
): Promise<number> {
  const startedMs = performance.now();
  const deadline = startedMs + timeoutMs;
  for (;;) {
    if (await probe()) return performance.now() - startedMs;
    const why = failed();
    if (why !== undefined) throw new Error(`${what}: ${why}`);
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Size of a file, 0 when it does not exist (yet). */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
