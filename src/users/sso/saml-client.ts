import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SAML, ValidateInResponseTo, type CacheProvider } from '@node-saml/node-saml';
import type { Clock } from '../../clock.js';
import type { SamlProviderConfig } from '../../config/sso-schema.js';
import { GatewayError } from '../../errors.js';
import { mapClaims, type SsoIdentity } from './claim-mapping.js';
import type { PendingSaml, PendingSignIn } from './pending-sign-ins.js';
import { checkAssertion } from './saml-assertion-checks.js';
import { readIdpMetadata } from './saml-idp-metadata.js';
import { checkResponseShape, checkSignatureAlgorithms, responseDestination } from './saml-xml-guards.js';
import type { SeenAssertionIds } from './seen-assertions.js';
import type { SsoClient } from './sso-client.js';

/** node-saml checks a request's age against the system clock; ours is the pending entry's TTL (injected clock). */
const NO_LIBRARY_REQUEST_EXPIRY_MS = 100 * 365 * 24 * 3600_000;

/**
 * One SAML 2.0 IdP, through @node-saml/node-saml 5: SP-initiated, the AuthnRequest by
 * HTTP-Redirect, the Response by HTTP-POST to our ACS. node-saml verifies the assertion's
 * signature against the configured certificate only (an unsigned assertion, or one signed by
 * another key, is refused; `wantAssertionsSigned`), the audience (our entity id) and that the
 * Response and its SubjectConfirmation answer our request. Before it, by linear scans, we bound
 * the document's shape (no DTD, comment or processing instruction; a bounded number of tags and
 * of attributes per element), pin the algorithms (RSA-SHA256, SHA-256 digests) and read the
 * Destination in a parse that stops at xmldom's first error (saml-xml-guards.ts); after it, on
 * the verified assertion the Issuer, Recipient, InResponseTo and times with our clock (saml-assertion-checks.ts);
 * last, the assertion id must be new (the replay cache).
 *
 * A SAML instance is made per call, with a request-id cache that knows only this browser's
 * pending request: an answer to another browser's request cannot pass its InResponseTo check.
 */
export class SamlClient implements SsoClient {
  readonly returnStep = 'acs';

  constructor(readonly p: SamlProviderConfig, private readonly idp: KnownIdp, private readonly clock: Clock, private readonly seen: SeenAssertionIds) {}

  /** Reads and checks the IdP's files at start-up: a bad file stops the gateway, not a sign-in. */
  static fromConfig(p: SamlProviderConfig, clock: Clock, seen: SeenAssertionIds): SamlClient {
    const file = p.idpMetadataFile ?? p.idpCertFile!;
    return new SamlClient(p, knownIdp(p, readFileSync(file, 'utf8')), clock, seen);
  }

  get name(): string { return this.p.name; }
  get displayName(): string { return this.p.displayName; }
  get issuer(): string { return this.p.idpIssuer; }

  /** Our entity id and ACS URL below `base` ({origin}{prefix}/ui/sso/{name}). */
  urls(base: string): { entityId: string; acsUrl: string } {
    return { entityId: this.p.entityId ?? `${base}/metadata`, acsUrl: `${base}/acs` };
  }

  async start(base: string): Promise<{ url: string; pending: PendingSignIn }> {
    const { entityId, acsUrl } = this.urls(base);
    // An xs:ID must not start with a digit (SAML core §1.3.4); 160 random bits.
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const pending: PendingSaml = { kind: 'saml', provider: this.p.name, requestId, acsUrl, entityId };
    const url = await this.saml(pending).getAuthorizeUrlAsync('', undefined, {});
    return { url, pending };
  }

  async finish(answer: URLSearchParams, pending: PendingSignIn): Promise<SsoIdentity> {
    if (pending.kind !== 'saml') throw refuse('this sign-in was started for another provider');
    const response = answer.get('SAMLResponse');
    if (response === null || response === '' || !/^[A-Za-z0-9+/=\r\n]+$/.test(response)) throw refuse('the identity provider sent no SAMLResponse');
    const xml = Buffer.from(response, 'base64').toString('utf8');
    checkResponseShape(xml);
    checkSignatureAlgorithms(xml);
    const destination = responseDestination(xml);
    if (destination !== undefined && destination !== pending.acsUrl) throw refuse('the response is for another destination (not this gateway\'s ACS URL)');

    let profile;
    try {
      ({ profile } = await this.saml(pending).validatePostResponseAsync({ SAMLResponse: response }));
    } catch (err) {
      throw refuse(`the identity provider's answer was refused: ${libraryReason(err)}`, err);
    }
    if (profile === null || profile.getAssertion === undefined) throw refuse('the response carries no assertion');
    const checked = checkAssertion(profile.getAssertion(), {
      idpIssuer: this.p.idpIssuer, requestId: pending.requestId, acsUrl: pending.acsUrl, now: this.clock.now(), skewMs: this.p.clockSkewSeconds * 1000,
    });
    if (!(await this.seen.firstSeen(checked.id, checked.keepUntil))) throw refuse('this assertion was already used (replay)');

    const attributes = { ...(profile.attributes ?? {}) } as Record<string, unknown>;
    // SAML has no list type: a multi-valued attribute with one value arrives as a plain string.
    const a = this.p.attributes.ancestors;
    if (a !== undefined && typeof attributes[a] === 'string') attributes[a] = [attributes[a]];
    // `nameID` last: an attribute of that name cannot stand in for the Subject's NameID.
    return mapClaims({ ...attributes, nameID: profile.nameID }, { name: this.p.name, claims: this.p.attributes, managerGroup: this.p.managerGroup, noun: 'attribute' });
  }

  /** SP metadata for the IdP's admin: entity id, ACS (HTTP-POST), signed assertions wanted. */
  metadata(base: string): string {
    const { entityId, acsUrl } = this.urls(base);
    return this.saml({ kind: 'saml', provider: this.p.name, requestId: '', acsUrl, entityId }).generateServiceProviderMetadata(null, null);
  }

  private saml(pending: PendingSaml): SAML {
    const requestIds: CacheProvider = {
      saveAsync: async (_key, value) => ({ value, createdAt: this.clock.now() }),
      // Only this browser's request is known: node-saml's InResponseTo checks pass for it alone.
      getAsync: async (key) => (pending.requestId !== '' && key === pending.requestId ? new Date(this.clock.now()).toISOString() : null),
      removeAsync: async (key) => key,
    };
    return new SAML({
      entryPoint: this.idp.entryPoint,
      issuer: pending.entityId,
      audience: pending.entityId,
      callbackUrl: pending.acsUrl,
      idpCert: [...this.idp.certs],
      wantAssertionsSigned: true,
      // Many IdPs sign only the assertion; that signature is the one we require.
      wantAuthnResponseSigned: false,
      signatureAlgorithm: 'sha256',
      identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      disableRequestedAuthnContext: true,
      // Times are checked by saml-assertion-checks.ts with the injected clock (node-saml reads Date).
      acceptedClockSkewMs: -1,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: NO_LIBRARY_REQUEST_EXPIRY_MS,
      cacheProvider: requestIds,
      generateUniqueId: () => pending.requestId,
    });
  }
}

/** Where the AuthnRequest goes and the certificates an assertion must verify with. */
export interface KnownIdp {
  entryPoint: string;
  certs: readonly string[];
}

/**
 * The IdP as the config describes it, from `text`: the contents of idpMetadataFile when set,
 * else of idpCertFile. An explicit entryPoint wins over the metadata's. Throws a message fit for
 * an operator (also `hlgw check-config`'s).
 */
export function knownIdp(p: SamlProviderConfig, text: string): KnownIdp {
  if (p.idpMetadataFile === undefined) return { entryPoint: p.entryPoint!, certs: readIdpCertificates(text) };
  const m = readIdpMetadata(text, p.idpIssuer);
  const entryPoint = p.entryPoint ?? m.entryPoint;
  if (entryPoint === undefined) throw new Error(`"${p.idpIssuer}" has no SingleSignOnService with the HTTP-Redirect binding in the metadata: set entryPoint`);
  return { entryPoint, certs: m.certs };
}

/**
 * The PEM file's certificates, each checked to parse; throws a message fit for an operator.
 * Several are allowed, so an IdP's signing key can be rotated: list the old and the new one,
 * then remove the old once the IdP has switched. A signature must verify with one of them.
 */
function readIdpCertificates(pem: string): string[] {
  const certs = pemBlocks(pem, 'CERTIFICATE');
  if (certs.length === 0) throw new Error('expected a PEM certificate (-----BEGIN CERTIFICATE-----)');
  for (const c of certs) new X509Certificate(c); // throws on a malformed certificate
  return certs;
}

/** Each `-----BEGIN {label}-----` … `-----END {label}-----` block, found by a linear scan. */
function pemBlocks(text: string, label: string): string[] {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const out: string[] = [];
  for (let i = text.indexOf(begin); i !== -1; i = text.indexOf(begin, i)) {
    const j = text.indexOf(end, i + begin.length + 1);
    if (j === -1) break;
    out.push(text.slice(i, j + end.length));
    i = j + end.length;
  }
  return out;
}

function refuse(why: string, cause?: unknown): GatewayError {
  return new GatewayError('sso_failed', why, cause === undefined ? undefined : { cause });
}

/**
 * node-saml's reason, without the values some messages append ("... mismatch. Expected: X
 * Received: Y"): the page names the check, never a value from the response.
 */
function libraryReason(err: unknown): string {
  const m = err instanceof Error ? err.message : '';
  const first = m.split(/\. |: /)[0] ?? '';
  return first === '' ? 'it did not verify' : first.replace(/[^\x20-\x7e]/g, '').slice(0, 120);
}
