import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { generateTokenInPage } from './browser.js';
import { USERS, type LifecycleGateway } from './lifecycle.js';
import type { RecordingUpstream } from './recording-upstream.js';

/**
 * What every SSO protocol must give a signed-in user, checked the same way for OIDC
 * and SAML: the page generates a token and says password tokens are more stable for automated
 * jobs; the token reaches the upstream as this user; the manager's list shows the provider.
 */
export async function expectSsoUserGetsAWorkingToken(page: Page, o: {
  gw: LifecycleGateway; upstream: RecordingUpstream; provider: string; userId: string; login: string; companyId: string;
}): Promise<string> {
  await page.getByRole('heading', { name: 'Generate Access Token' }).waitFor();
  const token = await generateTokenInPage(page);
  await expect(page.getByText(/more stable/).textContent()).resolves.toMatch(/For automated jobs, a token from a classic \(password\) user is more stable/);

  expect((await o.gw.useToken(token)).status).toBe(200);
  const seen = o.upstream.last!;
  expect(seen.headers['x-highlight-user-id']).toBe(o.userId);
  expect(seen.headers['x-highlight-login']).toBe(o.login);
  expect(seen.headers['x-highlight-company-id']).toBe(o.companyId);

  const list = await o.gw.request('GET', '/auth/tokens', { as: USERS.manager });
  const row = list.json<{ tokens: { user_id: string; signed_in_with: string }[] }>().tokens.find((t) => t.user_id === o.userId);
  expect(row?.signed_in_with).toBe(o.provider);
  return token;
}
