/**
 * One rule for tests that need something installed on the machine (ffmpeg, mkvinfo, Chromium, the
 * GStreamer RTSP camera): in CI the tool must be there, so a missing one fails the test, naming the
 * Debian package .ci/apt-packages.txt installs; on a developer's machine the test is reported as
 * skipped, with the reason printed. Never a pass that checked nothing.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/** The Debian package of each tool the tests run (every one is in .ci/apt-packages.txt). */
export const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  ffmpeg: 'ffmpeg',
  ffprobe: 'ffmpeg',
  mkvinfo: 'mkvtoolnix',
  chromium: 'chromium',
  ip: 'iproute2',
  nft: 'nftables',
  gstreamer: [
    'gir1.2-gst-rtsp-server-1.0',
    'python3-gst-1.0',
    ...['base', 'good', 'bad', 'ugly'].map((set) => `gstreamer1.0-plugins-${set}`),
    'gstreamer1.0-libav',
  ].join(' '),
};

/** A tool a test cannot use: what it is, why not, how to get it, and what the test wanted it for. */
export interface Unavailable {
  /** As a reader knows it: 'mkvinfo', 'Chromium'. */
  readonly tool: string;
  /** 'not on PATH', 'no Chromium at /usr/bin/chromium' … */
  readonly problem: string;
  /** How to get it: debianInstall(…) for system tools. */
  readonly install: string;
  /** What the test checks with it. */
  readonly reason: string;
}

/**
 * Whether this runs in CI: CI set to anything but empty, 0 or false. Services set CI=true, some CI=1;
 * both must make a missing tool fail.
 */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false';
}

/** How to install Debian packages (space-separated), pointing at the list CI installs from. */
export function debianInstall(debianPackages: string): string {
  const [noun, pronoun] = debianPackages.includes(' ') ? ['packages', 'them'] : ['package', 'it'];
  return `install the Debian ${noun} ${debianPackages} (.ci/apt-packages.txt lists ${pronoun}; .ci/run installs ${pronoun})`;
}

/** An executable on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The error a missing tool is under CI: there it must be installed, so the test cannot be skipped. */
function ciFailure(missing: Omit<Unavailable, 'reason'> & { reason?: string }): Error {
  const wanted = missing.reason === undefined ? '' : ` (needed to ${missing.reason})`;
  return new Error(
    `CI=${process.env.CI} and ${missing.tool} is unavailable: ${missing.problem}${wanted}; ${missing.install}`,
  );
}

/**
 * Test `t` cannot run for want of a tool. Under CI this throws, failing the test; elsewhere it prints why
 * and marks `t` skipped (node:test's t.skip), and the caller returns.
 */
export function skipOrFail(t: TestContext, missing: Unavailable): void {
  if (inCi()) throw ciFailure(missing);
  const message = `${missing.tool} is unavailable (${missing.problem}), so this test cannot ${missing.reason}; ${missing.install}`;
  console.warn(`\n*** SKIPPED "${t.name}": ${message}\n`);
  t.skip(message);
}

/**
 * The path of `tool` on PATH for test `t`, or undefined after skipping `t` (see skipOrFail; under CI a
 * missing tool fails the test). `reason` completes "this test cannot …".
 */
export function requireTool(
  t: TestContext,
  tool: string,
  reason: string,
  debianPackage: string | undefined = DEBIAN_PACKAGES[tool],
): string | undefined {
  if (debianPackage === undefined) {
    throw new Error(
      `no Debian package known for ${tool}: add it to DEBIAN_PACKAGES and .ci/apt-packages.txt`,
    );
  }
  const path = onPath(tool);
  if (path === undefined) {
    skipOrFail(t, { tool, problem: 'not on PATH', install: debianInstall(debianPackage), reason });
  }
  return path;
}

const fallbacksAnnounced = new Set<string>();

/**
 * A test process uses a substitute for a missing system tool (the npm package's ffmpeg for Debian's):
 * fine on a developer's machine, said once per process; under CI the tool must be there, so this throws.
 */
export function announceFallback(missing: Omit<Unavailable, 'reason'>, substitute: string): void {
  if (inCi()) throw ciFailure(missing);
  if (fallbacksAnnounced.has(missing.tool)) return;
  fallbacksAnnounced.add(missing.tool);
  console.warn(
    `\n*** ${missing.tool} is unavailable (${missing.problem}): using ${substitute}; ${missing.install}\n`,
  );
}
