/**
 * Debian's Chromium driven by playwright-core, as a test peer (never `npx playwright install`: the
 * browser is the system package `chromium`). A missing browser fails the test under CI and skips it
 * elsewhere (system-tool.ts).
 */
import { chmodSync, existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type * as PlaywrightModule from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
import { DEBIAN_PACKAGES, debianInstall, skipOrFail } from './system-tool.js';
import { TempDir } from './tmp.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags LIBRARY-NOTES lists for tests, plus autoplay without a user gesture (muted test pages). */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

export interface Chromium {
  /** A fresh profile: a persistent context in a temp dir of its own. */
  readonly context: BrowserContext;
  close(): Promise<void>;
}

type Playwright = typeof PlaywrightModule;

/** playwright-core, or why it cannot be loaded (it is a devDependency). */
async function loadPlaywright(): Promise<Playwright | string> {
  try {
    return (await import('playwright-core')) as Playwright;
  } catch (error) {
    return `it cannot be loaded: ${(error as Error).message}`;
  }
}

/** Shell-quotes one word. */
const quoted = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

async function launch(
  playwright: Playwright,
  extraArgs: readonly string[],
  prefix: readonly string[],
): Promise<Chromium> {
  const profile = new TempDir('spool-chromium-');
  // playwright starts the executable it is given and talks to it over inherited pipes (fds 3 and 4), so a
  // browser under a prefix (`ip netns exec NS`, which execs it) is a script (in its profile dir) that execs the prefix.
  const executablePath =
    prefix.length === 0
      ? CHROMIUM_PATH
      : profile.file(
          'launch-chromium.sh',
          `#!/bin/sh\nexec ${[...prefix, CHROMIUM_PATH].map(quoted).join(' ')} "$@"\n`,
        );
  if (prefix.length > 0) chmodSync(executablePath, 0o755);
  try {
    const context = await playwright.chromium.launchPersistentContext(profile.path, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...extraArgs],
    });
    return {
      context,
      close: async () => {
        await context.close();
        profile.cleanup();
      },
    };
  } catch (error) {
    profile.cleanup();
    throw error;
  }
}

/**
 * Starts Chromium for test `t` (with `extraArgs` after the usual flags, e.g. a fake camera file), or
 * returns undefined after skipping `t` when it or playwright-core is missing (under CI: fails `t`).
 * `options.prefix` runs the browser under a command that execs it, e.g. `['ip', 'netns', 'exec', NS]`
 * for a viewer inside a test network namespace.
 */
export async function openChromium(
  t: TestContext,
  extraArgs: readonly string[] = [],
  options: { prefix?: readonly string[] } = {},
): Promise<Chromium | undefined> {
  const playwright = await loadPlaywright();
  const reason = 'drive a browser';
  if (typeof playwright === 'string') {
    skipOrFail(t, { tool: 'playwright-core', problem: playwright, install: 'run npm install', reason });
    return undefined;
  }
  if (!existsSync(CHROMIUM_PATH)) {
    const problem = `no Chromium at ${CHROMIUM_PATH}; CHROMIUM_PATH names another`;
    skipOrFail(t, { tool: 'Chromium', problem, install: debianInstall(DEBIAN_PACKAGES.chromium!), reason });
    return undefined;
  }
  return launch(playwright, extraArgs, options.prefix ?? []);
}
