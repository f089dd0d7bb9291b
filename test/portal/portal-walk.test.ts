import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchChromium, PHONE } from '../support/browser.js';
import { FakeClock } from '../support/fake-clock.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';
import type { TestGateway } from '../support/start-gateway.js';
import { startDemoGateway } from '../support/demo-gateway.js';

const MANAGER = { login: 'manager@acme.example', password: 'acme-manager-demo' };
const USER = { login: 'user@acme.example', password: 'acme-user-demo' };
const PASS = 'correct horse battery staple';

/**
 * With HLGW_SCREENSHOTS=1 every screen of the walk is also saved at 1440 and 390 px in
 * docs/screenshots/<screen>-<width>.png (the README links them):
 *   npm run build && HLGW_SCREENSHOTS=1 npx vitest run test/portal/portal-walk.test.ts
 */
const SHOTS = process.env.HLGW_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : undefined;
const SHOT_SIZES = [DESKTOP, { width: 390, height: 844 }];
const MAX_SHOT_BYTES = 200_000;

/** Why the page scrolls sideways at its width: the page's own scroll width, and dialogs wider than the window. */
function overflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const found: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
    if (root.scrollWidth > width) {
      found.push(`the page scrolls sideways: scrollWidth ${root.scrollWidth} > clientWidth ${width}`);
      // The outermost elements reaching past the right edge, to say which one does.
      const past = Array.from(document.body.querySelectorAll('*')).filter((el) => el.getBoundingClientRect().right > width + 0.5);
      for (const el of past.filter((el) => !past.includes(el.parentElement!)).slice(0, 5)) found.push(`past the edge: ${name(el)} (right ${Math.round(el.getBoundingClientRect().right)})`);
    }
    // Cut off on the left (nothing scrolls there): partly past the edge, outside any scroller.
    const scrolled = (el: Element) => {
      for (let a = el.parentElement; a; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return true;
      return false;
    };
    const cut = Array.from(document.body.querySelectorAll('*')).filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 1 && r.left < -0.5 && r.right > 0 && !scrolled(el);
    });
    for (const el of cut.filter((el) => !cut.includes(el.parentElement!))) found.push(`cut off on the left: ${name(el)} (left ${Math.round(el.getBoundingClientRect().left)})`);
    for (const d of Array.from(document.querySelectorAll('dialog[open]'))) {
      const r = d.getBoundingClientRect();
      if (r.left < 0 || r.right > width || d.scrollWidth > d.clientWidth) found.push(`dialog ${name(d)} does not fit: ${Math.round(r.left)}..${Math.round(r.right)} of ${width}`);
    }
    return found;
  });
}

async function box(l: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await l.boundingBox();
  if (!b) throw new Error(`not on the page: ${l.toString()}`);
  return b;
}

/** Dates and column headers that wrap onto a second line (they are short: one line reads better). */
function wrapped(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('time, th'))
    .filter((el) => {
      // The line boxes of its text (not of a button around the text): more than one top, more than one line.
      const tops = new Set<number>();
      const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let t = walk.nextNode(); t; t = walk.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(t);
        for (const r of Array.from(range.getClientRects())) if (r.width > 1) tops.add(Math.round(r.top));
      }
      return tops.size > 1;
    })
    .map((el) => `wraps: ${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim()}"`));
}

/**
 * Every screen of the portal, signed out and signed in as a user and as a manager, each tab and
 * dialog and the error states a person reaches, at 360 px: the page never scrolls sideways,
 * nothing is cut off, no date or column header wraps (at 1440 px either), and the browser
 * console stays empty (no error, no warning) except for the one refused request an
 * error state is about. On the way: Enter in "Confirm your password" generates, the header
 * has no one-item menu, the switch says what it switches, revoked tokens say why, and at
 * 1440 px each button sits with the field it acts on.
 */
describe.skipIf(lacks('chromium'))('every portal screen at 360 px', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  let gw: TestGateway;
  let browser: Browser;
  let user: Page;
  let manager: Page;
  const consoleLines: string[] = [];

  async function newPage(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: PHONE })).newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => consoleLines.push(`page error: ${e.message}`));
    return page;
  }

  /** Checks the screen as it stands; `refused` names the HTTP status an error state is expected to log. */
  async function screen(page: Page, name: string, refused?: number): Promise<void> {
    const found = [...await overflow(page), ...await wrapped(page)];
    await page.setViewportSize(DESKTOP);
    found.push(...(await wrapped(page)).map((w) => `at ${DESKTOP.width} px: ${w}`));
    await page.setViewportSize(PHONE);
    const logged = consoleLines.splice(0).filter((l) => refused === undefined || !l.includes(`status of ${refused}`));
    if (SHOTS) await shoot(page, name);
    expect({ name, found, logged }).toEqual({ name, found: [], logged: [] });
  }

  async function shoot(page: Page, name: string): Promise<void> {
    mkdirSync(SHOTS!, { recursive: true });
    for (const size of SHOT_SIZES) {
      await page.setViewportSize(size);
      // A dialog is drawn over the viewport; a page longer than the viewport is taken whole,
      // unless that weighs more than MAX_SHOT_BYTES (the README shows them): then its first screen.
      let png = await page.screenshot({ fullPage: !name.endsWith('-dialog') });
      if (png.length > MAX_SHOT_BYTES) png = await page.screenshot();
      writeFileSync(join(SHOTS!, `${name}-${size.width}.png`), png);
    }
    await page.setViewportSize(PHONE);
  }

  async function signIn(page: Page, who: { login: string; password: string }): Promise<void> {
    await page.goto(`${gw.url}/auth/ui/`);
    await page.getByLabel('Login').fill(who.login);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function dialog(page: Page, title: string, shot: string, button: string): Promise<void> {
    const d = page.getByRole('dialog', { name: title });
    await d.waitFor();
    await screen(page, shot);
    await d.getByRole('button', { name: button, exact: true }).click();
    await d.waitFor({ state: 'detached' });
  }

  beforeAll(async () => {
    await upstream.start();
    gw = await startDemoGateway(upstream.url, { clock }); // identity.upstream: basic, as shipped
    browser = await launchChromium();
    user = await newPage();
    manager = await newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream.stop();
  });

  it('signed out: the sign-in page, and a wrong password', async () => {
    await user.goto(`${gw.url}/auth/ui/`);
    await user.getByRole('heading', { name: 'Sign in' }).waitFor();
    await user.getByText('Highlight access tokens').first().waitFor();
    await screen(user, 'sign-in');
    await user.getByLabel('Login').fill(USER.login);
    await user.getByLabel('Password').fill('not the password');
    await user.getByRole('button', { name: 'Sign in' }).click();
    await user.getByRole('alert').filter({ hasText: 'Wrong login or password.' }).waitFor();
    await screen(user, 'sign-in-wrong-password', 401);
  });

  it('the manager: settings (a validation error, the Apply dialog), tokens, audit', async () => {
    await signIn(manager, MANAGER);
    await manager.getByRole('heading', { name: 'Token Management' }).waitFor();
    await manager.getByLabel('Pass phrase').waitFor();
    await screen(manager, 'token-management-settings');
    // A menu of one item, the page already open, is gone: the header links the screen and marks it current.
    expect(await manager.getByRole('button', { name: 'COMPANIES' }).count()).toBe(0);
    expect(await manager.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Token Management' }).getAttribute('aria-current')).toBe('page');
    await manager.getByRole('banner').getByText('CAST Highlight').waitFor();
    // The switch says what it switches, and its state.
    const on = manager.getByRole('switch', { name: 'User tokens for acme' });
    expect(await on.getAttribute('aria-checked')).toBe('false');
    await on.click();
    expect(await on.getAttribute('aria-checked')).toBe('true');
    await manager.getByLabel('Pass phrase').fill('too short');
    await manager.getByRole('button', { name: 'Apply', exact: true }).click();
    await manager.getByText('The pass phrase needs 10 to 255 characters (now 9).').waitFor();
    await screen(manager, 'token-management-settings-error');
    await manager.getByLabel('Pass phrase').fill(PASS);
    await manager.getByRole('button', { name: 'Show pass phrase' }).click();
    await manager.getByRole('button', { name: 'Apply', exact: true }).click();
    await dialog(manager, 'Apply these changes?', 'token-management-apply-dialog', 'Apply');
    await manager.getByText(/^Applied\./).waitFor();
    // Apply empties the pass phrase: the reveal button is reset, not left pressed over an empty field.
    expect(await manager.getByRole('button', { name: 'Show pass phrase' }).getAttribute('aria-pressed')).toBe('false');
    expect(await manager.getByLabel('Pass phrase').getAttribute('type')).toBe('password');
    await screen(manager, 'token-management-settings-applied');
    // At 1440 px each button sits with what it acts on: Show on the pass phrase's line, Apply under the last field.
    await manager.setViewportSize(DESKTOP);
    const input = await box(manager.getByLabel('Pass phrase'));
    const reveal = await box(manager.getByRole('button', { name: 'Show pass phrase' }));
    expect(reveal.y).toBeLessThan(input.y + input.height);
    expect(reveal.y + reveal.height).toBeGreaterThan(input.y);
    expect(reveal.x - (input.x + input.width)).toBeLessThanOrEqual(16);
    const duration = await box(manager.getByLabel('Token duration (minutes)'));
    const apply = await box(manager.getByRole('button', { name: 'Apply', exact: true }));
    expect(Math.abs(apply.x - duration.x)).toBeLessThanOrEqual(1);
    expect(apply.y - (duration.y + duration.height)).toBeLessThanOrEqual(120);
    await manager.setViewportSize(PHONE);
    await manager.getByRole('button', { name: `User menu: ${MANAGER.login}` }).click();
    await screen(manager, 'user-menu');
    await manager.keyboard.press('Escape');
  });

  it('the user: the token page before a token, its error states, a token, the replace dialog', async () => {
    await signIn(user, USER);
    await user.getByRole('heading', { name: 'Generate Access Token' }).waitFor();
    await user.getByText('You have no token yet.').waitFor();
    await screen(user, 'generate-token');
    await user.getByRole('button', { name: 'Generate Access Token' }).click();
    await user.getByText('Enter your password to generate a token.').waitFor();
    await screen(user, 'generate-token-no-password');
    await user.getByLabel('Confirm your password').fill('not my password');
    await user.getByLabel('Confirm your password').press('Enter');
    await user.getByText('Wrong password: no token was generated.').waitFor();
    await screen(user, 'generate-token-wrong-password', 401);
    // Enter in the password field generates, as the button does.
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByLabel('Confirm your password').press('Enter');
    await user.getByLabel('Access token', { exact: true }).waitFor();
    await screen(user, 'generate-token-new');
    const first = await user.getByLabel('Access token', { exact: true }).inputValue();
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate Access Token' }).click();
    await dialog(user, 'Replace your token?', 'generate-token-replace-dialog', 'Generate a new token');
    await expect.poll(() => user.getByLabel('Access token', { exact: true }).inputValue()).not.toBe(first);
    // At 1440 px the red "Revoke my token" keeps its distance from the next field's label.
    await user.setViewportSize(DESKTOP);
    const revoke = await box(user.getByRole('button', { name: 'Revoke my token' }));
    const label = await box(user.getByText('Confirm your password', { exact: true }));
    expect(label.y - (revoke.y + revoke.height)).toBeGreaterThanOrEqual(16);
    await user.setViewportSize(PHONE);
  });

  it('the user: Named tokens (the list, the form, a refused name, the token shown once, the revoke dialog)', async () => {
    await user.getByRole('button', { name: `User menu: ${USER.login}` }).click();
    await user.getByRole('banner').getByRole('link', { name: 'Named tokens' }).click();
    await user.getByRole('row', { name: /^personal full.* Active/ }).waitFor(); // and the one it replaced, revoked
    await user.getByRole('group', { name: 'Scope' }).waitFor();
    await screen(user, 'named-tokens');
    await user.getByLabel('Token name').fill('nightly export');
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate token' }).click();
    await user.getByLabel('Access token', { exact: true }).waitFor();
    await user.getByRole('row', { name: /^nightly export read/ }).waitFor();
    await screen(user, 'named-tokens-new');
    await user.getByLabel('Token name').fill('nightly export');
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate token' }).click();
    await user.getByText('You already have a live token with this name').waitFor();
    await screen(user, 'named-tokens-name-taken', 409);
    await user.getByRole('button', { name: 'Revoke nightly export' }).click();
    await dialog(user, 'Revoke nightly export?', 'named-tokens-revoke-dialog', 'Cancel');
    await user.getByRole('button', { name: `User menu: ${USER.login}` }).click();
    await user.getByRole('banner').getByRole('link', { name: 'Generate Access Token' }).click();
    await user.getByRole('heading', { name: 'Generate Access Token', level: 1 }).waitFor();
  });

  it('the manager: the tokens tab (the revoke dialog, revoke reasons) and the audit tab', async () => {
    await manager.getByRole('tab', { name: 'Tokens' }).click();
    const trash = manager.getByRole('button', { name: `Revoke the token of ${USER.login}` });
    await trash.waitFor();
    await screen(manager, 'token-management-tokens');
    await trash.click();
    await dialog(manager, `Revoke the token of ${USER.login}?`, 'token-management-revoke-dialog', 'Revoke');
    await manager.getByText('Revoked: renewed').waitFor();
    await manager.getByText('Revoked: by owner or manager').waitFor();
    await screen(manager, 'token-management-tokens-revoked');
    await manager.getByRole('tab', { name: 'Audit' }).click();
    await manager.getByRole('table', { name: /Audit trail/ }).getByText('Revoked a token').waitFor();
    await screen(manager, 'token-management-audit');
  });

  it('the user\'s page after the manager revoked the token, and a session that expired', async () => {
    await user.reload();
    await user.getByText('Revoked: by owner or manager').waitFor();
    await screen(user, 'generate-token-revoked');
    clock.advance(31 * 60_000); // past the idle timeout
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate Access Token' }).click();
    await user.getByRole('dialog', { name: 'Sign in' }).getByText('Your session has expired.').waitFor();
    await screen(user, 'session-expired', 401);
  });
});
