import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchChromium, PHONE } from '../support/browser.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';
import type { TestGateway } from '../support/start-gateway.js';
import { startDemoGateway } from '../support/demo-gateway.js';

const MANAGER = { login: 'manager@acme.example', password: 'acme-manager-demo' };

/** What axe-core finds serious or critical on the page as it stands (WCAG 2.1 A and AA rules). */
async function seriousViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Accessibility: zero serious or critical axe-core violations on each screen, at 1440 and 360 px,
 * on the shipped demo config in Debian's chromium.
 */
describe.skipIf(lacks('chromium'))('the portal under axe-core', () => {
  const upstream = new RecordingUpstream();
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await upstream.start();
    gw = await startDemoGateway(upstream.url);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream.stop();
  });

  async function bothWidths(): Promise<string[]> {
    const wide = await seriousViolations(page);
    await page.setViewportSize(PHONE);
    const narrow = await seriousViolations(page);
    await page.setViewportSize(DESKTOP);
    return [...wide, ...narrow];
  }

  it('the sign-in page', async () => {
    await page.goto(`${gw.url}/auth/ui/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await bothWidths()).toEqual([]);
  });

  it('Token Management: the settings, tokens and audit tabs', async () => {
    await page.getByLabel('Login').fill(MANAGER.login);
    await page.getByLabel('Password').fill(MANAGER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Token Management' }).waitFor();
    expect(await bothWidths()).toEqual([]);
    for (const tab of ['Tokens', 'Audit']) {
      await page.getByRole('tab', { name: tab }).click();
      expect(await bothWidths()).toEqual([]);
    }
  });
});
