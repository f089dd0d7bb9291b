import * as oidc from 'openid-client';
import { GatewayError } from '../../errors.js';
import type { OidcProviderConfig } from '../../config/sso-schema.js';
import { mapClaims, type SsoIdentity } from './claim-mapping.js';
import type { PendingOidc, PendingSignIn } from './pending-sign-ins.js';
import type { SsoClient } from './sso-client.js';

/**
 * One OpenID provider, through openid-client 6: discovery (once, on first use, retried after a
 * failure), the authorization code flow with PKCE (S256), `state` and `nonce`, and the ID token
 * validated by the library: signature against the provider's JWKS (non-repudiation checks on), the one pinned algorithm,
 * issuer, audience (our client id), expiry, nonce. We never parse a token ourselves.
 */
export class OidcClient implements SsoClient {
  readonly returnStep = 'callback';
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(readonly p: OidcProviderConfig, private readonly env: NodeJS.ProcessEnv) {}

  get name(): string { return this.p.name; }
  get displayName(): string { return this.p.displayName; }
  get issuer(): string { return this.p.issuer; }

  /** Where to send the browser, and what the callback must check (kept server-side). */
  async start(base: string): Promise<{ url: string; pending: PendingSignIn }> {
    const config = await this.configuration();
    const redirectUri = `${base}/callback`;
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const pending: PendingSignIn = {
      kind: 'oidc', provider: this.p.name, state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier, redirectUri,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.p.scopes.join(' '),
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /**
   * The callback's query checked against `pending`, the code exchanged and the ID token
   * validated; its claims mapped to our identity. Any failure is `sso_failed` with the library's
   * error code (public: it names the check, never a value).
   */
  async finish(query: URLSearchParams, pending: PendingSignIn): Promise<SsoIdentity> {
    if (pending.kind !== 'oidc') throw new GatewayError('sso_failed', 'this sign-in was started for another provider');
    const error = query.get('error');
    if (error !== null) throw new GatewayError('sso_failed', `the identity provider answered ${error.replace(/[^A-Za-z0-9_]/g, '').slice(0, 64)}`);
    return mapClaims(await this.verifiedClaims(query, pending), this.p);
  }

  private async verifiedClaims(query: URLSearchParams, pending: PendingOidc): Promise<Record<string, unknown>> {
    const config = await this.configuration();
    const current = new URL(pending.redirectUri);
    for (const [k, v] of query) current.searchParams.append(k, v);
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (claims === undefined) throw new GatewayError('sso_failed', 'no ID token');
      return claims as Record<string, unknown>;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw new GatewayError('sso_failed', `the identity provider's answer was refused: ${libraryReason(err)}`, { cause: err });
    }
  }

  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= this.discover().catch((err: unknown) => {
      this.discovered = undefined; // try again at the next sign-in
      throw new GatewayError('user_source_unavailable', `discovery of ${this.p.name} failed`, { cause: err });
    });
    return this.discovered;
  }

  private async discover(): Promise<oidc.Configuration> {
    const secret = this.p.clientSecretFromEnv === undefined ? undefined : this.env[this.p.clientSecretFromEnv];
    if (this.p.clientSecretFromEnv !== undefined && !secret) {
      throw new GatewayError('user_source_unavailable', `${this.p.clientSecretFromEnv} is not set`);
    }
    const issuer = new URL(this.p.issuer);
    const config = await oidc.discovery(
      issuer,
      this.p.clientId,
      { id_token_signed_response_alg: this.p.idTokenAlgorithm, ...(secret ? { client_secret: secret } : {}) },
      secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
      // Plain http only for a loopback issuer (tests, trials); anything else must be https.
      isLoopback(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
    // By default the library trusts an ID token from the token endpoint on the strength of TLS
    // (OIDC Core §3.1.3.7 step 6) and skips its signature. We want the signature checked against
    // the provider's JWKS with the pinned algorithm: a token endpoint answer altered in transit or
    // by a proxy in between is then refused too (test: a tampered payload under the old signature).
    oidc.enableNonRepudiationChecks(config);
    return config;
  }
}

function isLoopback(u: URL): boolean {
  return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]');
}

/**
 * The check that failed, in the library's words: openid-client wraps oauth4webapi's error, whose
 * message names it (`unexpected "state" response parameter value`, `unexpected JWT "aud"
 * (audience) claim value`); so we take the innermost Error's message. Those messages are fixed
 * strings; the expected and received values sit in a plain-object `cause` we never show.
 */
function libraryReason(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const m = e instanceof Error ? e.message : '';
  return m === '' ? 'it did not verify' : m.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
}
