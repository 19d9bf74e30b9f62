/**
 * Debian's Chromium driven by playwright-core, as a test peer (never `npx playwright install`: the
 * browser is the system package `chromium`). Under CI=true a missing browser fails the test with a
 * clear message; elsewhere the test is skipped, saying why.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type * as PlaywrightModule from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
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
    return `the npm package playwright-core cannot be loaded (${(error as Error).message})`;
  }
}

async function launch(playwright: Playwright, extraArgs: readonly string[]): Promise<Chromium> {
  const profile = new TempDir('spool-chromium-');
  try {
    const context = await playwright.chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM_PATH,
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
 * returns undefined after skipping `t` when it is not installed.
 * Under CI=true a missing Chromium or playwright-core throws instead: CI must run these tests.
 */
export async function openChromium(
  t: TestContext,
  extraArgs: readonly string[] = [],
): Promise<Chromium | undefined> {
  const playwright = await loadPlaywright();
  const missing =
    typeof playwright === 'string'
      ? playwright
      : existsSync(CHROMIUM_PATH)
        ? undefined
        : `no Chromium at ${CHROMIUM_PATH} (Debian package "chromium", or set CHROMIUM_PATH)`;
  if (missing === undefined && typeof playwright !== 'string') return launch(playwright, extraArgs);
  if (process.env.CI === 'true') throw new Error(`CI=true and Chromium cannot run: ${missing}`);
  console.warn(`SKIPPED ${t.name}: ${missing}`);
  t.skip(`Chromium unavailable: ${missing}`);
  return undefined;
}
