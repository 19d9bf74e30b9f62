import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface KillPoint {
  /** performance.now() when the child printed "started". */
  readonly startedMs: number;
  /** Throws when the child has exited on its own (it must still be recording when killed). */
  assertRecording(): void;
}

/**
 * Runs a writer fixture (`node SCRIPT ...args`) that prints "started" when it begins recording, waits
 * with `until` (e.g. for complete fragments on disk), then kills it with SIGKILL mid-recording, as a
 * crash would. Resolves with the seconds recorded between "started" and the kill.
 */
export async function recordThenKill(
  script: string,
  args: readonly string[],
  until: (point: KillPoint) => Promise<void>,
): Promise<{ recordedS: number }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let recordedS: number | undefined;
  try {
    let startedMs = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === 'started') {
        startedMs = performance.now();
        break;
      }
    }
    assert.ok(startedMs > 0, `writer child did not start: ${stderr}`);
    await until({
      startedMs,
      assertRecording: () => assert.equal(child.exitCode, null, `writer child exited early: ${stderr}`),
    });
    recordedS = (performance.now() - startedMs) / 1000;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  assert.equal(child.signalCode, 'SIGKILL', `the writer was still recording when killed: ${stderr}`);
  return { recordedS: recordedS! };
}
