// A real browser for the inspector's tests: Debian's chromium driven by
// playwright-core. Without chromium the browser tests are skipped, and one
// line says what to install.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
/** Where screenshots go (git-ignored). */
export const ARTIFACTS = join(import.meta.dirname, 'artifacts');

let told = false;
/** Prints, once per run, what to install to run the browser tests. */
export function sayWhySkipped(): void {
  if (hasChromium || told) return;
  told = true;
  console.log(`[browser] tests skipped: no chromium at ${CHROMIUM}; install it with: apt-get install -y chromium`);
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless chromium with a fresh profile that is removed on close. */
export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'pushback-inspector-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
