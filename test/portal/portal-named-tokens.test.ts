import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchChromium } from '../support/browser.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';
import type { TestGateway } from '../support/start-gateway.js';
import { startDemoGateway } from '../support/demo-gateway.js';

const MANAGER = { login: 'manager@acme.example', password: 'acme-manager-demo' };
const USER = { login: 'user@acme.example', password: 'acme-user-demo' };
const DAY = 1440;

/**
 * The Named tokens screen in Debian's chromium on the shipped demo config (identity.upstream:
 * basic): the personal token listed as `personal` / full beside the named ones; a read token
 * created in the form works for a GET through the gateway and is refused a POST (403
 * insufficient_scope); the API's refusals are shown next to their field; revoking asks first.
 * The manager's Tokens tab shows name and scopes and filters through the API.
 */
describe.skipIf(lacks('chromium'))('named tokens in the portal', () => {
  const upstream = new RecordingUpstream();
  let gw: TestGateway;
  let browser: Browser;
  let user: Page;
  let readToken = '';

  const basic = (who: { login: string; password: string }) => `Basic ${Buffer.from(`${who.login}:${who.password}`).toString('base64')}`;
  async function policy(body: Record<string, unknown>): Promise<void> {
    const r = await fetch(`${gw.url}/auth/portfolios/acme/token-policy`, { method: 'PUT', headers: { authorization: basic(MANAGER), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.status).toBe(200);
  }

  beforeAll(async () => {
    await upstream.start();
    // At most 2 live named tokens each: the third is refused (409 too_many_tokens).
    gw = await startDemoGateway(upstream.url, { config: { tokens: { realm: 'highlight', maxPerUser: 2 } } });
    browser = await launchChromium();
    // 45 days: the 60- and 90-day presets are longer than the company allows.
    await policy({ enabled: true, passphrase: 'correct horse battery staple', durationMinutes: 45 * DAY });
    user = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await user.goto(`${gw.url}/auth/ui/`);
    await user.getByLabel('Login').fill(USER.login);
    await user.getByLabel('Password').fill(USER.password);
    await user.getByRole('button', { name: 'Sign in' }).click();
    await user.getByRole('heading', { name: 'Generate Access Token' }).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream.stop();
  });

  it('the personal token (Generate Access Token, as before) is listed as personal, scope full', async () => {
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate Access Token' }).click();
    await user.getByLabel('Access token', { exact: true }).waitFor();
    await user.getByRole('button', { name: `User menu: ${USER.login}` }).click();
    await user.getByRole('banner').getByRole('link', { name: 'Named tokens' }).click();
    await user.getByRole('heading', { name: 'Named tokens', level: 1 }).waitFor();
    const personal = user.getByRole('row', { name: /^personal full/ });
    await personal.waitFor();
    await personal.getByText('Active').waitFor();
  });

  it('the form: presets longer than the policy are disabled, saying why; the scopes are read and full', async () => {
    const expiry = user.getByLabel('Expiration', { exact: true });
    await expiry.waitFor();
    expect(await expiry.locator('option:disabled').allTextContents()).toEqual(['60 days (longer than your company allows)', '90 days (longer than your company allows)']);
    expect(await expiry.inputValue()).toBe(String(30 * DAY));
    const scopes = user.getByRole('group', { name: 'Scope' });
    expect(await scopes.getByRole('radio').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['read', 'full']);
    expect(await scopes.getByRole('radio', { name: /read/ }).isChecked()).toBe(true);
  });

  it('a read token: created in the form, shown once, listed; GET through the gateway is 200, POST 403 insufficient_scope', async () => {
    await user.getByLabel('Token name').fill('nightly export');
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate token' }).click();
    await user.getByRole('heading', { name: 'Your new token “nightly export” (read)' }).waitFor();
    readToken = await user.getByLabel('Access token', { exact: true }).inputValue();
    await user.getByRole('row', { name: /^nightly export read/ }).waitFor();
    await user.getByRole('row', { name: /^personal full/ }).waitFor(); // a named token never replaces the personal one
    const get = await fetch(`${gw.url}/WS2/domains`, { headers: { authorization: `Bearer ${readToken}` } });
    expect(get.status).toBe(200);
    const post = await fetch(`${gw.url}/WS2/domains`, { method: 'POST', headers: { authorization: `Bearer ${readToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(403);
    expect(await post.json()).toMatchObject({ code: 'insufficient_scope' });
    // Its last use and the address it came from, once the batch of last uses is written.
    await gw.gw.usage.flush();
    await user.reload();
    await user.getByRole('row', { name: /^nightly export read .* 127\.0\.0\.1 Active/ }).waitFor();
  });

  it('the API\'s refusals next to their field: 409 name taken, 409 limit reached, 403 scope not allowed', async () => {
    await user.getByLabel('Token name').fill('nightly export');
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate token' }).click();
    const name = user.getByLabel('Token name');
    await user.getByText('You already have a live token with this name').waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    const second = await fetch(`${gw.url}/auth/tokens`, {
      method: 'POST', headers: { authorization: basic(USER), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'second', scopes: ['read'], validityMinutes: 60 }),
    });
    expect(second.status).toBe(201);
    await name.fill('third');
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate token' }).click();
    await user.getByText('You have reached the limit of 2 live named tokens: revoke one you no longer use.').waitFor();
    const gone = await fetch(`${gw.url}/auth/tokens/${(await second.json() as { token_id: string }).token_id}`, { method: 'DELETE', headers: { authorization: basic(USER) } });
    expect(gone.status).toBe(204);
    // The manager narrows the scopes while the form still offers full.
    await policy({ allowedScopes: ['read'] });
    await name.fill('deploy');
    await user.getByRole('radio', { name: /full/ }).check();
    await user.getByLabel('Confirm your password').fill(USER.password);
    await user.getByRole('button', { name: 'Generate token' }).click();
    await user.getByRole('group', { name: 'Scope' }).getByText(/^Your company does not allow this scope: .*full \(allowed: read\)/).waitFor();
    // A new visit offers only what the policy allows.
    await user.reload();
    const scopes = user.getByRole('group', { name: 'Scope' });
    await scopes.waitFor();
    expect(await scopes.getByRole('radio').count()).toBe(1);
    await policy({ allowedScopes: null });
  });

  it('revoke a named token in the list, after a confirmation; it stops working', async () => {
    await user.getByRole('button', { name: 'Revoke nightly export' }).click();
    const d = user.getByRole('dialog', { name: 'Revoke nightly export?' });
    await d.getByRole('button', { name: 'Revoke', exact: true }).click();
    await user.getByText('nightly export is revoked.').waitFor();
    await user.getByRole('row', { name: /^nightly export read/ }).getByText('Revoked: by owner or manager').waitFor();
    await user.getByRole('row', { name: /^personal full/ }).getByText('Active').waitFor();
    expect((await fetch(`${gw.url}/WS2/domains`, { headers: { authorization: `Bearer ${readToken}` } })).status).toBe(401);
  });

  it('the manager\'s Tokens tab: name and scopes columns, filters by status and "expiring within" (the API\'s), by user, sort', async () => {
    // A token of the user that expires in an hour (created through the API with Basic).
    const r = await fetch(`${gw.url}/auth/tokens`, {
      method: 'POST', headers: { authorization: basic(USER), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ci deploy', scopes: ['full'], validityMinutes: 60 }),
    });
    expect(r.status).toBe(201);
    const manager = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await manager.goto(`${gw.url}/auth/ui/#token-management`);
    await manager.getByLabel('Login').fill(MANAGER.login);
    await manager.getByLabel('Password').fill(MANAGER.password);
    await manager.getByRole('button', { name: 'Sign in' }).click();
    await manager.getByRole('tab', { name: 'Tokens' }).click();
    const table = manager.getByRole('table', { name: /^Tokens of company acme/ });
    await table.getByRole('row', { name: new RegExp(`^${USER.login} nightly export read`) }).waitFor();
    await table.getByRole('row', { name: new RegExp(`^${USER.login} ci deploy full`) }).waitFor();
    await table.getByRole('row', { name: new RegExp(`^${USER.login} personal full`) }).waitFor();
    await manager.getByLabel('Status').selectOption('active');
    await table.getByRole('row', { name: /nightly export/ }).waitFor({ state: 'detached' });
    await manager.getByLabel('Expiring within').selectOption({ label: '1 day' });
    await manager.getByText(/: 1 token$/).waitFor();
    await table.getByRole('row', { name: /ci deploy/ }).waitFor();
    await manager.getByLabel('Expiring within').selectOption({ label: 'Any time' });
    await manager.getByLabel('Status').selectOption('all');
    await table.getByRole('row', { name: /nightly export/ }).waitFor();
    await manager.getByLabel('Filter by user').fill('nobody');
    await manager.getByText('No tokens match.').waitFor();
    await manager.getByLabel('Filter by user').fill('user@');
    await manager.getByRole('button', { name: 'Name', exact: true }).click();
    expect(await manager.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort')).toBe('ascending');
    const names = await table.locator('tbody tr td:nth-of-type(1)').allTextContents();
    expect(names).toEqual([...names].sort());
    await manager.getByRole('button', { name: `Revoke the token ci deploy of ${USER.login}` }).waitFor();
  });
});
