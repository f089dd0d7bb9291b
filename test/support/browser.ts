import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath } from './system-tools.js';

/**
 * Debian's chromium, headless, driven by playwright-core (no browser download: the test setup
 * installs the `chromium` package when missing, test/support/system-tools.ts). Playwright gives
 * each launch a fresh temporary profile. Only loopback traffic: no background networking.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Screenshots land here (git-ignored); the README shows two of them. */
const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

export const DESKTOP = { width: 1440, height: 900 };

/** The portal's "Generate Access Token", clicked as a person would; resolves with the token it shows once. */
export async function generateTokenInPage(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Generate Access Token' }).click();
  const box = page.getByLabel('Access token', { exact: true });
  await box.waitFor();
  return box.inputValue();
}
export const PHONE = { width: 360, height: 740 };
