import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DESKTOP } from './browser.js';

/** How the next ID tokens leave the provider: as issued, or spoiled in one precise way. */
export type Tamper = 'none' | 'payload' | 'audience' | 'nonce';

export const OIDC_CLIENT = { id: 'hlgw', secret: 'throwaway-test-client-secret' };

/**
 * A real OpenID provider on loopback: oidc-provider 9 with its development sign-in form (any
 * password; the login is the account id), configured as its own tests do: one confidential
 * client, `findAccount` answering each account's claims, the consent step skipped by a grant
 * loaded up front, claims of the requested scopes put in the ID token. `tamper` spoils the ID
 * token after the provider signed it: `payload` edits a claim under the old signature; `audience`
 * and `nonce` re-sign with the provider's own key, so only that one check can refuse it.
 */
export class TestOidcProvider {
  tamper: Tamper = 'none';
  issuer = '';
  private readonly server: Server;
  private handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  constructor(readonly accounts: Record<string, Record<string, unknown>>) {
    this.server = createServer((req, res) => {
      if (this.handler) this.handler(req, res);
      else { res.statusCode = 503; res.end(); }
    });
  }

  /** Listens first, so the gateway can be configured with the issuer before the provider knows its redirect URI. */
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.issuer;
  }

  async start(redirectUris: string[]): Promise<void> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    const accounts = this.accounts;
    const provider = new Provider(this.issuer, {
      clients: [{
        client_id: OIDC_CLIENT.id, client_secret: OIDC_CLIENT.secret, redirect_uris: redirectUris,
        response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic',
      }],
      jwks: { keys: [jwk] },
      cookies: { keys: ['throwaway-cookie-key'] },
      // company_ancestors: the portfolio tree, root first; accounts without it send none.
      claims: { openid: ['sub'], email: ['email'], hl: ['company_id', 'groups', 'company_ancestors'] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: true } },
      findAccount: (_ctx, id) => {
        const claims = accounts[id];
        return claims === undefined ? undefined : { accountId: id, claims: () => ({ sub: id, ...claims }) };
      },
      // Skip consent: the grant is there before the prompt would ask for it.
      loadExistingGrant: async (ctx) => {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope('openid email hl');
        await grant.save();
        return grant;
      },
    });
    const issue = provider.IdToken.prototype.issue;
    const self = this;
    provider.IdToken.prototype.issue = async function (this: unknown, ...args: Parameters<typeof issue>) {
      const token = await issue.apply(this as never, args);
      return self.spoil(token, privateKey);
    } as typeof issue;
    this.handler = provider.callback();
  }

  /**
   * A person signing in: from the portal's sign-in page at `ui`, the "Sign in with {displayName}"
   * button, this provider's own development form (any password; the login is the account id), back
   * to the gateway at `gatewayUrl`. A fresh browser context; resolves on the page it lands on.
   */
  async signInThroughPortal(browser: Browser, o: { ui: string; gatewayUrl: string; displayName: string; account: string }): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await ctx.newPage();
    await page.goto(o.ui);
    await page.getByRole('link', { name: `Sign in with ${o.displayName}` }).click();
    await page.locator('input[name=login]').fill(o.account);
    await page.locator('input[name=password]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL((u) => u.href.startsWith(o.gatewayUrl));
    return { ctx, page };
  }

  private async spoil(token: string, key: Parameters<SignJWT["sign"]>[0]): Promise<string> {
    if (this.tamper === 'none') return token;
    const [h, p, s] = token.split('.');
    const claims = decodeJwt(token);
    if (this.tamper === 'payload') {
      const edited = Buffer.from(JSON.stringify({ ...claims, company_id: 'globex' })).toString('base64url');
      return `${h}.${edited}.${s}`;
    }
    const changed = this.tamper === 'audience' ? { aud: 'someone-else' } : { nonce: 'not-the-one-you-sent' };
    void p;
    return new SignJWT({ ...claims, ...changed }).setProtectedHeader(decodeProtectedHeader(token) as { alg: string }).sign(key);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
