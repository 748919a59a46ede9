import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium (scripts/setup.mjs installs it); Playwright's own download does not work here. */
export const chromiumPath = "/usr/bin/chromium";

/**
 * Headless Chromium (a missing browser fails the test, with the fix, never skips it) with no background networking (this machine's closed
 * network refuses it). Playwright's launch() gives it a fresh, temporary
 * --user-data-dir of its own and removes it on close.
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: run scripts/setup.mjs (apt-get install chromium)`);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}
