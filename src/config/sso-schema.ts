import { z } from 'zod';

/**
 * `users.sso`: sign-in to the portal through identity providers. Any number of
 * providers, each shown as a "Sign in with …" button on the sign-in page. A token issued after
 * such a sign-in is bound to the provider's name and issuer (src/users/sso/provider-binding.ts):
 * removing the provider, or changing its issuer, voids those tokens.
 */

export const SSO_DEFAULTS = Object.freeze({
  scopes: ['openid', 'email', 'profile'],
  idTokenAlgorithm: 'RS256',
  /** A sign-in started but not finished in this long is forgotten (the pre-session cookie lives as long). */
  pendingMinutes: 10,
  /** Sign-ins one client address may start per minute, per instance (src/portal/sso-start-limit.ts). */
  startsPerMinute: 300,
  managerGroup: 'portfolioManager',
  /** SAML: how far the IdP's clock may be from ours when checking NotBefore/NotOnOrAfter. */
  clockSkewSeconds: 60,
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');
const claimName = z.string().min(1).max(256);
const providerName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'expected a short lowercase name like acme-idp');
const httpUrl = z.string().refine((s) => /^https?:\/\//.test(s) && URL.canParse(s), 'expected an http(s) URL');
/**
 * One entry of a provider's `companies`: a company id (that company only), or an id followed by
 * `/*` (that company and every company below it). See src/users/sso/provider-scope.ts.
 */
const companyScopeEntry = z.string().regex(/^[A-Za-z0-9_-]{1,64}(\/\*)?$/, 'expected a company id, or a company id followed by /* (it and every company below it)');
/**
 * The trust boundary of one provider (docs/architecture/identity-sources.md, "What each identity source can
 * assert"): the companies it may speak for. A sign-in naming any other company, as the user's
 * company or as an ancestor, is refused and audited. `["acme", "holding/*"]`: acme, and holding
 * with everything below it (in the tree, or placed there by this provider's claims, unless another
 * source placed it or another provider's `companies` names it). Required when more than one
 * provider is configured. Absent (one provider): any company that neither the users file names
 * nor another source (the upstream probe) placed.
 */
const companiesField = z.array(companyScopeEntry).min(1).max(1000).optional();
const publicUrl = z.string().refine((s) => /^https?:\/\/[^/]+$/.test(s) && URL.canParse(s), 'expected a base URL like https://hl.example.com');

/** Where our identity is in the ID token's claims. A missing or malformed one refuses the sign-in. */
const claimsSchema = z.strictObject({
  /** The stable user id (sent upstream as the user id header). */
  userId: claimName.default('sub'),
  /** The login the portal, the token list and the audit trail show. */
  login: claimName.default('email'),
  /** A company id (same syntax as everywhere: 1 to 64 of A-Z a-z 0-9 _ -). */
  companyId: claimName.default('company_id'),
  /** An array of group names (or one string); absent means no groups. */
  groups: claimName.default('groups'),
  /**
   * The portfolio tree: a claim holding the company's ancestors, company ids from the root down to
   * the direct parent (absent or empty: a root). Not set: SSO sign-ins teach no tree.
   */
  ancestors: claimName.optional(),
}).prefault({});

/** An OpenID Connect provider (authorization code flow with PKCE; discovery from its issuer). */
const oidcProviderSchema = z.strictObject({
  /** `oidc`: OpenID Connect. */
  type: z.literal('oidc'),
  /** Short name: in URLs, in token records ("signed in with") and in metrics. Renaming it voids its tokens. */
  name: providerName,
  /** The button says "Sign in with {displayName}". */
  displayName: z.string().min(1).max(64),
  /** Issuer URL; its /.well-known/openid-configuration is read at the first sign-in. */
  issuer: httpUrl,
  /** The client id registered at the provider for the gateway. */
  clientId: z.string().min(1),
  /** Environment variable holding the client secret (never in this file); absent = a public client (PKCE only). */
  clientSecretFromEnv: envName.optional(),
  /** The one algorithm the ID token must be signed with (RFC 8725 §3.1: pinned, never taken from the token). */
  idTokenAlgorithm: z.enum(['RS256', 'PS256', 'ES256', 'EdDSA']).default('RS256'),
  /** Scopes asked for at sign-in; must include `openid`. Ask for the ones that release the claims below. */
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).default(SSO_DEFAULTS.scopes).refine((s) => s.includes('openid'), 'must include openid'),
  /** Which ID token claims hold the user id, login, company, groups (and ancestors). */
  claims: claimsSchema,
  /** Members of this group are portfolio managers of their company. */
  managerGroup: z.string().min(1).default(SSO_DEFAULTS.managerGroup),
  /** The companies this provider may speak for: ids, or `id/*` for a company and its subtree; required with several providers. */
  companies: companiesField,
  /**
   * The gateway's public base URL (e.g. https://hl.example.com); the redirect URI is
   * {publicUrl}{endpoints.prefix}/ui/sso/{name}/callback and must be registered at the provider.
   * Absent: taken from the request's Host (fine on loopback; set it behind a proxy).
   */
  publicUrl: publicUrl.optional(),
});

/** Where our identity is in a SAML assertion: attribute names, or `nameID` for the Subject's NameID. */
const attributesSchema = z.strictObject({
  /** The stable user id (sent upstream as the user id header); `nameID` = the assertion's Subject NameID. */
  userId: claimName.default('nameID'),
  /** The login the portal, the token list and the audit trail show. */
  login: claimName.default('email'),
  /** A company id (same syntax as everywhere: 1 to 64 of A-Z a-z 0-9 _ -). */
  companyId: claimName.default('company_id'),
  /** A multi-valued attribute of group names; absent means no groups. */
  groups: claimName.default('groups'),
  /**
   * The portfolio tree: a multi-valued attribute holding the company's ancestors, company ids from
   * the root down to the direct parent (absent or empty: a root). Not set: sign-ins teach no tree.
   */
  ancestors: claimName.optional(),
}).prefault({});

/** A SAML 2.0 identity provider (SP-initiated, HTTP-Redirect to the IdP, HTTP-POST back; signed assertions). */
const samlProviderSchema = z.strictObject({
  /** `saml`: SAML 2.0. */
  type: z.literal('saml'),
  /** Short name: in URLs, in token records ("signed in with") and in metrics. Renaming it voids its tokens. */
  name: providerName,
  /** The button says "Sign in with {displayName}". */
  displayName: z.string().min(1).max(64),
  /**
   * The IdP's single sign-on URL (HTTP-Redirect binding): the AuthnRequest goes there. Absent:
   * the HTTP-Redirect SingleSignOnService of `idpMetadataFile`.
   */
  entryPoint: httpUrl.optional(),
  /** The IdP's entity id: assertions must name it as their Issuer. Tokens are bound to it: changing it voids them. */
  idpIssuer: z.string().min(1).max(1024),
  /**
   * PEM file with the IdP's signing certificate (several while it rotates its key); an assertion
   * must carry an RSA-SHA256 signature that verifies with one of them. Give this or `idpMetadataFile`.
   */
  idpCertFile: z.string().min(1).optional(),
  /**
   * The IdP's SAML 2.0 metadata file (what its admin exports), instead of `idpCertFile`: its
   * signing certificates, and its SSO URL unless `entryPoint` is set. The entity described must be
   * `idpIssuer`. Read at start; the file's own signature is not checked.
   */
  idpMetadataFile: z.string().min(1).optional(),
  /**
   * Our entity id (the audience assertions must name). Absent: the metadata URL,
   * {publicUrl}{endpoints.prefix}/ui/sso/{name}/metadata.
   */
  entityId: z.string().min(1).max(1024).optional(),
  /**
   * The gateway's public base URL (e.g. https://hl.example.com); the assertion consumer service is
   * {publicUrl}{endpoints.prefix}/ui/sso/{name}/acs. Absent: taken from the request's Host (fine
   * on loopback; set it behind a proxy, else the entity id and ACS URL follow the Host header).
   */
  publicUrl: publicUrl.optional(),
  /** Which assertion attributes hold the user id, login, company, groups (and ancestors). */
  attributes: attributesSchema,
  /** Members of this group are portfolio managers of their company. */
  managerGroup: z.string().min(1).default(SSO_DEFAULTS.managerGroup),
  /** The companies this provider may speak for: ids, or `id/*` for a company and its subtree; required with several providers. */
  companies: companiesField,
  /** Tolerated clock difference with the IdP for NotBefore/NotOnOrAfter. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(SSO_DEFAULTS.clockSkewSeconds),
}).check((ctx) => {
  const p = ctx.value;
  const issue = (path: string, message: string) => ctx.issues.push({ code: 'custom', input: p, path: [path], message });
  if ((p.idpCertFile === undefined) === (p.idpMetadataFile === undefined)) issue('idpCertFile', 'give the IdP\'s signing certificate: idpCertFile or idpMetadataFile, one of them');
  else if (p.idpMetadataFile === undefined && p.entryPoint === undefined) issue('entryPoint', 'required without idpMetadataFile: the IdP\'s SSO URL (HTTP-Redirect)');
});

export const ssoSchema = z
  .strictObject({
    /** Hide the password form: SSO users only. */
    only: z.boolean().default(false),
    /**
     * Sign-ins one client address may start per minute, per instance; more are 429. Each start
     * writes a ten-minute record to the store without any credential: this bounds what one address
     * can make it hold. Keep it above the sign-ins a busy office behind one NAT makes in a minute.
     */
    startsPerMinutePerAddress: z.number().int().min(1).max(100_000).default(SSO_DEFAULTS.startsPerMinute),
    /** The identity providers, one "Sign in with …" button each, in this order; `type` says which kind. */
    providers: z.array(z.discriminatedUnion('type', [oidcProviderSchema, samlProviderSchema])).default([])
      .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, 'provider names must be unique')
      .check((ctx) => {
        // Several providers: each must say which companies it speaks for (no provider may assert
        // another's companies, or any company at all, by default).
        if (ctx.value.length < 2) return;
        ctx.value.forEach((p, i) => {
          if (p.companies === undefined) ctx.issues.push({ code: 'custom', input: p, path: [i, 'companies'], message: 'required when more than one provider is configured: the companies this provider may speak for (its trust boundary)' });
        });
      }),
  })
  .prefault({});

export type SsoConfig = z.infer<typeof ssoSchema>;
export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;
export type SamlProviderConfig = z.infer<typeof samlProviderSchema>;
export type SsoProviderConfig = SsoConfig['providers'][number];

/** What a provider's tokens are bound to (TokenRecord.signIn.issuer): the OIDC issuer, the SAML IdP's entity id. */
export function bindingIssuer(p: SsoProviderConfig): string {
  return p.type === 'oidc' ? p.issuer : p.idpIssuer;
}
