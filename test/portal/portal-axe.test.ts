import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchChromium, PHONE } from '../support/browser.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';
import type { TestGateway } from '../support/start-gateway.js';
import { startDemoGateway } from '../support/demo-gateway.js';

const MANAGER = { login: 'manager@acme.example', password: 'acme-manager-demo' };
const USER = { login: 'user@acme.example', password: 'acme-user-demo' };

/** What axe-core finds serious or critical on the page as it stands (WCAG 2.1 A and AA rules). */
async function seriousViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Accessibility: zero serious or critical axe-core violations on each screen (sign-in, Token
 * Management's tabs, Generate Access Token before and after a token, the open user menu), at 1440 and 360 px,
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

  async function bothWidths(on: Page = page): Promise<string[]> {
    const wide = await seriousViolations(on);
    await on.setViewportSize(PHONE);
    const narrow = await seriousViolations(on);
    await on.setViewportSize(DESKTOP);
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

  it('Generate Access Token: before a token, the token shown once, and the open user menu', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('switch', { name: 'User tokens for acme' }).click();
    await page.getByLabel('Pass phrase').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.getByRole('dialog', { name: 'Apply these changes?' }).getByRole('button', { name: 'Apply' }).click();
    await page.getByText(/^Applied\./).waitFor();
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const user = await ctx.newPage();
    await user.goto(`${gw.url}/auth/ui/`);
    await user.getByLabel('Login').fill(USER.login);
    await user.getByLabel('Password').fill(USER.password);
    await user.getByRole('button', { name: 'Sign in' }).click();
    await user.getByText('You have no token yet.').waitFor();
    expect(await bothWidths(user)).toEqual([]);
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByLabel('Confirm your password').press('Enter');
    await user.getByLabel('Access token', { exact: true }).waitFor();
    expect(await bothWidths(user)).toEqual([]);
    await user.getByRole('button', { name: `User menu: ${USER.login}` }).click();
    expect(await bothWidths(user)).toEqual([]);
    await ctx.close();
  });

  it('Named tokens: the list and form, a refused name (field error), the token shown once; the manager\'s Tokens tab with names and scopes', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const user = await ctx.newPage();
    await user.goto(`${gw.url}/auth/ui/#named-tokens`);
    await user.getByLabel('Login').fill(USER.login);
    await user.getByLabel('Password').fill(USER.password);
    await user.getByRole('button', { name: 'Sign in' }).click();
    await user.getByRole('row', { name: /^personal full/ }).waitFor();
    await user.getByRole('group', { name: 'Scope' }).waitFor();
    expect(await bothWidths(user)).toEqual([]);
    await user.getByRole('button', { name: 'Generate token' }).click();
    await user.getByText('Give the token a name.').waitFor();
    expect(await bothWidths(user)).toEqual([]);
    await user.getByLabel('Expiration', { exact: true }).selectOption('custom');
    await user.getByLabel('Custom expiration').fill('3');
    await user.getByLabel('Token name').fill('nightly export');
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate token' }).click();
    await user.getByLabel('Access token', { exact: true }).waitFor();
    await user.getByRole('row', { name: /^nightly export read/ }).waitFor();
    expect(await bothWidths(user)).toEqual([]);
    await ctx.close();
    await page.getByRole('tab', { name: 'Tokens' }).click();
    await page.getByRole('row', { name: /nightly export read/ }).waitFor();
    expect(await bothWidths()).toEqual([]);
  });
});
