import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchChromium, PHONE, screenshot } from '../support/browser.js';
import { FakeClock } from '../support/fake-clock.js';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';
import type { TestGateway } from '../support/start-gateway.js';
import { startDemoGateway } from '../support/demo-gateway.js';

/** The demo users of config/demo-users.yaml (their passwords are in the README). */
const MANAGER = { login: 'manager@acme.example', password: 'acme-manager-demo' };
const USER = { login: 'user@acme.example', password: 'acme-user-demo' };
const PASS = 'correct horse battery staple';

/**
 * The portal's whole flow (sign in, generate, list, revoke, sign out) in Debian's chromium, on the embedded demo config (config/gateway.yaml
 * with its demo users), in front of a recording upstream. Elements are found by role and label,
 * as a person finds them; never by CSS class.
 */
describe.skipIf(lacks('chromium'))('the Token Management portal in a real browser', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  let gw: TestGateway;
  let browser: Browser;
  let managerCtx: BrowserContext;
  let userCtx: BrowserContext;
  let manager: Page;
  let user: Page;
  let ui: string;

  beforeAll(async () => {
    await upstream.start();
    // The demo config as shipped, with the recording upstream in place of the demo echo API.

    // identity.upstream: headers, so the flow below asserts the identity headers; the demo's basic mode
    // (the generate screen asks for the password again) is driven by portal-browser-basic.test.ts.
    gw = await startDemoGateway(upstream.url, { clock, config: { identity: { upstream: 'headers' } } });
    ui = `${gw.url}/auth/ui/`;
    browser = await launchChromium();
    managerCtx = await browser.newContext({ viewport: DESKTOP });
    userCtx = await browser.newContext({ viewport: DESKTOP });
    manager = await managerCtx.newPage();
    user = await userCtx.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream.stop();
  });

  async function signIn(page: Page, who: { login: string; password: string }): Promise<void> {
    await page.goto(ui);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Login').fill(who.login);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function confirm(page: Page, title: string | RegExp, button: string): Promise<string> {
    const dialog = page.getByRole('dialog', { name: title });
    await dialog.waitFor();
    const text = (await dialog.textContent()) ?? '';
    await dialog.getByRole('button', { name: button }).click();
    await dialog.waitFor({ state: 'detached' });
    return text;
  }

  async function apply(page: Page): Promise<string> {
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const said = await confirm(page, 'Apply these changes?', 'Apply');
    await page.getByText(/^Applied\./).waitFor();
    return said;
  }

  async function generate(page: Page, replacing: boolean): Promise<string> {
    await page.getByRole('button', { name: 'Generate Access Token' }).click();
    if (replacing) await confirm(page, 'Replace your token?', 'Generate a new token');
    const box = page.getByLabel('Access token', { exact: true });
    await box.waitFor();
    return box.inputValue();
  }

  const useToken = (token: string) => call(gw.url, '/WS2/domains', { headers: { authorization: `Bearer ${token}` } });

  it('shows the sign-in page with every control labelled', async () => {
    await manager.goto(ui);
    await manager.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await unlabelledControls(manager)).toEqual([]);
    await screenshot(manager, 'sign-in-desktop');
    await manager.setViewportSize(PHONE);
    await screenshot(manager, 'sign-in-360');
    await manager.setViewportSize(DESKTOP);
    await manager.getByLabel('Login').fill(MANAGER.login);
    await manager.getByLabel('Password').fill('wrong password');
    await manager.getByRole('button', { name: 'Sign in' }).click();
    await manager.getByRole('alert').filter({ hasText: 'Wrong login or password.' }).waitFor();
  });

  it('the manager switches tokens on with a pass phrase and a duration, after a confirmation saying what resets', async () => {
    await signIn(manager, MANAGER);
    await manager.getByRole('heading', { name: 'Token Management' }).waitFor();
    await manager.getByRole('switch', { name: 'User tokens for acme' }).check();
    await manager.getByLabel('Pass phrase').fill('too short');
    await manager.getByText('9 of 255 characters (at least 10).').waitFor();
    await manager.getByRole('button', { name: 'Apply', exact: true }).click();
    await manager.getByText('The pass phrase needs 10 to 255 characters (now 9).').waitFor();
    await manager.getByLabel('Pass phrase').fill(PASS);
    await manager.getByText(`${PASS.length} of 255 characters.`).waitFor();
    await manager.getByRole('button', { name: 'Show pass phrase' }).click();
    expect(await manager.getByLabel('Pass phrase').getAttribute('type')).toBe('text');
    await manager.getByRole('button', { name: 'Hide pass phrase' }).click();
    await manager.getByLabel('Token duration (minutes)').fill('2880');
    await manager.getByText('= 2 days').waitFor();
    expect(await unlabelledControls(manager)).toEqual([]);
    await screenshot(manager, 'token-management-desktop');
    const said = await apply(manager);
    expect(said).toContain('switched on');
    expect(said).toContain('New tokens will last 2,880 minutes');
    // Write-only: the pass phrase is gone from the page after Apply.
    expect(await manager.getByLabel('Pass phrase').inputValue()).toBe('');
    expect(await manager.content()).not.toContain(PASS);
    await manager.setViewportSize(PHONE);
    await screenshot(manager, 'token-management-360');
    await manager.setViewportSize(DESKTOP);
  });

  it('the user generates a token, shown once with a copy button and ready-to-paste lines; it reaches the upstream as the user', async () => {
    await signIn(user, USER);
    await user.getByRole('heading', { name: 'Generate Access Token' }).waitFor();
    expect(await user.getByRole('button', { name: 'COMPANIES' }).count()).toBe(0); // no manager menu
    const token = await generate(user, false);
    expect(token).toMatch(/^hlgw_/);
    await user.getByRole('button', { name: 'Copy token' }).waitFor();
    await user.getByText(`curl -H "Authorization: Bearer ${token}" ${gw.url}/WS2/domains`).waitFor();
    await user.getByText(`--tokenAuth ${token}`).waitFor();
    await screenshot(user, 'generate-token-desktop');
    await user.setViewportSize(PHONE);
    await screenshot(user, 'generate-token-360');
    await user.setViewportSize(DESKTOP);

    const r = await useToken(token);
    expect(r.status).toBe(200);
    expect(upstream.last?.headers['x-highlight-login']).toBe(USER.login);
    expect(upstream.last?.headers['x-highlight-company-id']).toBe('acme');

    // Never in a URL, a cookie or web storage.
    expect(user.url()).not.toContain(token);
    expect(await user.evaluate(() => JSON.stringify([localStorage, sessionStorage]))).toBe('[{},{}]');
    expect(JSON.stringify(await userCtx.cookies())).not.toContain(token.slice(0, 40));
    // Shown once: leaving the screen and coming back shows the status, not the token.
    await user.reload();
    await user.getByRole('heading', { name: 'Your token' }).waitFor();
    await user.getByText('Active', { exact: true }).waitFor();
    expect(await user.content()).not.toContain(token);
  });

  it('the manager revokes it with the trash icon; the row turns revoked and the next request is 401', async () => {
    await manager.getByRole('tab', { name: 'Tokens' }).click();
    const trash = manager.getByRole('button', { name: `Revoke the token of ${USER.login}` });
    await trash.waitFor();
    await screenshot(manager, 'tokens-desktop');
    await trash.click();
    const said = await confirm(manager, `Revoke the token of ${USER.login}?`, 'Revoke');
    expect(said).toContain('stops working at once');
    await manager.getByRole('row', { name: new RegExp(USER.login) }).getByText('Revoked: by owner or manager').waitFor();
    expect(await trash.count()).toBe(0);
    await manager.setViewportSize(PHONE);
    await screenshot(manager, 'tokens-360');
    await manager.setViewportSize(DESKTOP);
    // A token id that was revoked before the user regenerates.
    const rows = await manager.getByRole('row').count();
    expect(rows).toBeGreaterThan(1);
  });

  it('switching off then on voids a freshly generated token', async () => {
    await user.reload();
    await user.getByRole('heading', { name: 'Your token' }).waitFor();
    const fresh = await generate(user, false); // the previous one is revoked: no warning needed
    expect((await useToken(fresh)).status).toBe(200);
    await manager.getByRole('tab', { name: 'Settings' }).click();
    await manager.getByRole('switch', { name: 'User tokens for acme' }).uncheck();
    expect(await apply(manager)).toContain('switched off');
    await manager.getByRole('switch', { name: 'User tokens for acme' }).check();
    expect(await apply(manager)).toContain('switched on');
    const r = await useToken(fresh);
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ code: 'token_revoked' });
  });

  it('the audit tab shows who did what, newest first', async () => {
    await manager.getByRole('tab', { name: 'Audit' }).click();
    const table = manager.getByRole('table', { name: /Audit trail/ });
    await table.waitFor();
    const rows = table.getByRole('row');
    await rows.nth(1).waitFor();
    expect(await rows.nth(1).textContent()).toContain('Changed the token policy');
    expect(await table.textContent()).toContain('Revoked a token');
    expect(await table.textContent()).toContain(USER.login);
    await screenshot(manager, 'audit-desktop');
  });

  it('works with the keyboard alone: sign in, open the user menu, generate (with the replace warning)', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await ctx.newPage();
    await page.goto(ui);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.keyboard.type(USER.login); // the login field has focus
    await page.keyboard.press('Tab');
    await page.keyboard.type(USER.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Generate Access Token' }).waitFor();
    await tabTo(page, 'Generate Access Token');
    await page.keyboard.press('Enter'); // the last token was voided by off/on: no warning
    await page.getByLabel('Access token', { exact: true }).waitFor();
    await tabTo(page, 'Generate Access Token');
    await page.keyboard.press('Enter'); // now there is an active token to replace
    await page.getByRole('dialog', { name: 'Replace your token?' }).waitFor();
    await page.keyboard.press('Tab'); // Cancel has focus; the confirm button is next
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByLabel('Access token', { exact: true }).waitFor();
    await tabTo(page, `User menu: ${USER.login}`);
    await page.keyboard.press('Enter');
    await tabTo(page, 'Sign out');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await ctx.close();
  });

  it('a session that expired while typing asks to sign in again over the screen, keeping what was typed', async () => {
    await manager.getByRole('tab', { name: 'Settings' }).click();
    await manager.getByLabel('Token duration (minutes)').fill('600');
    clock.advance(31 * 60_000);
    await manager.getByRole('button', { name: 'Apply', exact: true }).click();
    await confirm(manager, 'Apply these changes?', 'Apply');
    const again = manager.getByRole('dialog', { name: 'Sign in' });
    await again.getByText('Your session has expired.').waitFor();
    await again.getByLabel('Login').fill(MANAGER.login);
    await again.getByLabel('Password').fill(MANAGER.password);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.waitFor({ state: 'detached' });
    expect(await manager.getByLabel('Token duration (minutes)').inputValue()).toBe('600');
    await apply(manager);
  });

  it('sorts by a column, filters by user and status, and pages past 50 rows', async () => {
    const generation = gw.gw.state.portfolio('acme')!.generation;
    for (let i = 0; i < 55; i++) {
      const t = clock.now() - i * 60_000;
      await gw.gw.store.insertToken({
        tokenId: `bulk-${String(i).padStart(2, '0')}`, companyId: 'acme', userId: `bulk-${i}`, login: `bulk${String(i).padStart(2, '0')}@acme.example`,
        generation, createdAt: t, expiresAt: t + 86_400_000, revokedAt: null, lastUsedAt: null,
      }, { revokePreviousOfUser: false, now: t });
    }
    await manager.getByRole('tab', { name: 'Tokens' }).click();
    await manager.getByText('Page 1 of 2').waitFor();
    await manager.getByRole('button', { name: 'Next page' }).click();
    await manager.getByText('Page 2 of 2').waitFor();
    await manager.getByRole('button', { name: 'User', exact: true }).click();
    expect(await manager.getByRole('columnheader', { name: 'User' }).getAttribute('aria-sort')).toBe('ascending');
    await manager.getByLabel('Filter by user').fill('bulk07');
    expect(await manager.getByRole('row').count()).toBe(2); // the header and bulk07
    await manager.getByLabel('Filter by user').fill('');
    await manager.getByLabel('Status').selectOption('revoked');
    await manager.getByRole('row', { name: new RegExp(USER.login) }).first().waitFor();
    expect(await manager.getByRole('button', { name: /^Revoke the token of/ }).count()).toBe(0);
  });

  it('sign-out ends the session: the old cookie no longer works', async () => {
    const [cookie] = await userCtx.cookies();
    expect(cookie).toMatchObject({ name: 'hlgw_session', httpOnly: true, sameSite: 'Strict', path: '/auth' });
    await user.getByRole('button', { name: `User menu: ${USER.login}` }).click();
    await user.getByRole('button', { name: 'Sign out' }).click();
    await user.getByRole('heading', { name: 'Sign in' }).waitFor();
    const replay = await call(gw.url, '/auth/ui/api/session', { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
    expect(replay.status).toBe(401);
  });
});

/** Form controls and buttons without an accessible name (label, aria-label, aria-labelledby or text). */
function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button'))) {
      const labelled = (el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent?.trim());
      if (!labelled) bad.push(el.outerHTML.slice(0, 80));
    }
    return bad;
  });
}

/** Presses Tab until the focused element's accessible name is `name` (at most 40 times). */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '' : '';
    });
    if (focused === name) return;
  }
  throw new Error(`could not reach "${name}" with Tab`);
}
