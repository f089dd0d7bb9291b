import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchChromium, screenshot } from '../support/browser.js';
import { basic, call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';
import type { TestGateway } from '../support/start-gateway.js';
import { demoConfig, startDemoGateway } from '../support/demo-gateway.js';

const MANAGER = { login: 'manager@acme.example', password: 'acme-manager-demo' };
const USER = { login: 'user@acme.example', password: 'acme-user-demo' };

/**
 * The demo config as shipped (`identity.upstream: basic`) in Debian's chromium: "Generate Access
 * Token" asks for the password again, says so when it is missing or wrong, and the token it
 * gives replays the user's own Basic. (portal-browser.test.ts runs the rest in headers mode.)
 */
describe.skipIf(lacks('chromium'))('the portal in basic mode, in a real browser', () => {
  const upstream = new RecordingUpstream();
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await upstream.start();
    expect((demoConfig().identity as { upstream: string }).upstream).toBe('basic');
    gw = await startDemoGateway(upstream.url);
    const put = await call(gw.url, '/auth/portfolios/acme/token-policy', {
      method: 'PUT', headers: { authorization: basic(MANAGER.login, MANAGER.password), 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, passphrase: 'correct horse battery staple', durationMinutes: 60 }),
    });
    expect(put.status).toBe(200);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream.stop();
  });

  it('asks for the password, refuses a wrong one, and the token reaches the upstream with the user\'s own Basic', async () => {
    await page.goto(`${gw.url}/auth/ui/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Login').fill(USER.login);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Generate Access Token' }).waitFor();
    const password = page.getByLabel('Confirm your password');
    const generate = page.getByRole('button', { name: 'Generate Access Token' });

    await generate.click();
    await page.getByText('Enter your password to generate a token.').waitFor();
    await password.fill('not my password');
    await generate.click();
    await page.getByText('Wrong password: no token was generated.').waitFor();
    expect(await password.inputValue()).toBe('');
    expect(await page.getByLabel('Access token', { exact: true }).count()).toBe(0);
    await screenshot(page, 'generate-token-basic-wrong-password');

    await password.fill(USER.password);
    await generate.click();
    const box = page.getByLabel('Access token', { exact: true });
    await box.waitFor();
    const token = await box.inputValue();
    expect(await password.inputValue()).toBe('');
    expect(await page.content()).not.toContain(USER.password);

    const r = await call(gw.url, '/WS2/domains', { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(upstream.last?.headers.authorization).toBe(basic(USER.login, USER.password));
  });
});
