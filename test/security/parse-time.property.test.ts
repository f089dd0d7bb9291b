import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { classifyAuthorization } from '../../src/auth/classify-authorization.js';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULTS } from '../../src/config/schema.js';
import type { OidcProviderConfig, SamlProviderConfig } from '../../src/config/sso-schema.js';
import { readFields } from '../../src/endpoints/read-body.js';
import { hasTokenInUrl } from '../../src/http/token-in-url.js';
import { createSecretKey, randomBytes } from 'node:crypto';
import { tokenChecksum } from '../../src/token/checksum.js';
import { openToken } from '../../src/token/open-token.js';
import type { VerificationState } from '../../src/token/verification-state.js';
import { OidcClient } from '../../src/users/sso/oidc-client.js';
import { SamlClient, knownIdp } from '../../src/users/sso/saml-client.js';
import { TestSamlIdp } from '../support/saml-idp.js';

/**
 * Every parse an unauthenticated client can feed answers within a bound, on arbitrary input and
 * on input built to hurt (long runs of the characters a pattern or parser cares about, nesting,
 * huge attribute lists, layers of `%25`), up to the size the gateway lets in. The functions are
 * called directly, so the bound is about the parse, not the network.
 *
 * Not flaky on a loaded 2-core CI: a case fails only when it takes longer than BOUND_MS on each
 * of ATTEMPTS tries. A catastrophic backtrack (or any super-linear blow-up at these sizes) is slow
 * every time; a GC pause or a descheduled process is not.
 */
const BOUND_MS = 100;
const ATTEMPTS = 3;

async function withinBound(run: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < ATTEMPTS; i++) {
    const t0 = performance.now();
    try { await run(); } catch { /* a refusal is an answer */ }
    best = Math.min(best, performance.now() - t0);
    if (best <= BOUND_MS) break;
  }
  return best;
}

/** `unit` repeated to about `size` characters, with `tail` after it. */
const run = (unit: string, size: number, tail = '') => unit.repeat(Math.max(1, Math.floor(size / unit.length))) + tail;

/** A size up to `max`, often the maximum itself (the worst case is usually there). */
const sizeUpTo = (max: number) => fc.oneof(fc.constant(max), fc.integer({ min: 1, max }));
const text = (max: number) => fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme-ascii', maxLength: max }));

/** Inputs run to 190,000 characters: a failure names the input's length and start, not all of it. */
const brief = (input: unknown) => {
  const s = typeof input === 'string' ? input : JSON.stringify(input);
  return `${s.length} chars: ${JSON.stringify(s.slice(0, 120))}${s.length > 120 ? '...' : ''}`;
};

async function assertBounded<T>(arb: fc.Arbitrary<T>, parse: (input: T) => unknown, numRuns: number): Promise<void> {
  let slowest = '';
  await fc.assert(fc.asyncProperty(arb, async (input) => {
    const ms = await withinBound(() => parse(input));
    if (ms > BOUND_MS) slowest = `${ms.toFixed(0)} ms (best of ${ATTEMPTS}) on ${brief(input)}`;
    return ms <= BOUND_MS;
  }), { numRuns, endOnFailure: true, reporter: (out) => { if (out.failed) throw new Error(`slower than ${BOUND_MS} ms: ${slowest}`); } });
}

describe(`unauthenticated parses answer within ${BOUND_MS} ms (best of ${ATTEMPTS})`, () => {
  // The ACS reads at most 256 KiB of form: about 190,000 characters of XML once base64'd.
  const XML_MAX = 190_000;
  const idp = new TestSamlIdp({}, () => Date.now());
  afterAll(() => idp.close());

  it('SAML: the whole pre-signature and library handling of a SAMLResponse', async () => {
    const config = parseConfig({ users: { source: 'none', sso: { providers: [{
      type: 'saml', name: 'p', displayName: 'P', entryPoint: 'https://idp.example/sso', idpIssuer: idp.entityId, idpCertFile: idp.certFile,
    }] } } }, '<test>', {}).users.sso.providers[0] as SamlProviderConfig;
    const seen = { firstSeen: async () => true };
    const client = new SamlClient(config, knownIdp(config, readFileSync(idp.certFile, 'utf8')), { now: () => Date.now() }, seen);
    const acsUrl = 'https://hl.example/auth/ui/sso/p/acs';
    const pending = { kind: 'saml' as const, provider: 'p', requestId: '_1', acsUrl, entityId: 'https://hl.example/auth/ui/sso/p/metadata' };
    const NS = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"';
    const adversarial: ((n: number) => string)[] = [
      (n) => run('<!---->', n, 'x'),
      (n) => run('<!--', n),
      (n) => run('<!-- -- ->', n, '<samlp:Response/>'),
      (n) => `<?xml version="1.0"?>${run('<!---->', n - 40)}<samlp:Response ${NS} Destination="${acsUrl}"/>`,
      (n) => run('<a>', n / 2) + run('</a>', n / 2),
      (n) => run('<a>', n),
      (n) => `<samlp:Response ${NS} ${Array.from({ length: Math.floor(n / 12) }, (_, i) => `a${i}="v"`).join(' ')}/>`,
      (n) => `<samlp:Response ${Array.from({ length: Math.floor(n / 24) }, (_, i) => `xmlns:p${i}="urn:x${i}"`).join(' ')}/>`,
      (n) => run('<ds:SignatureMethod ', n),
      (n) => run('SignatureMethod', n),
      (n) => run('<ds:DigestMethod Algorithm="', n),
      (n) => `<${run('a', n)}`,
      (n) => `<samlp:Response ${NS} Destination="${run('&amp;', n)}"/>`,
      (n) => `<samlp:Response ${NS}>${run('<ds:Signature><ds:SignedInfo>', n)}</samlp:Response>`,
      (n) => run('<?xml ', n),
      (n) => run('<', n),
      (n) => run('&#x41;', n),
      (n) => run('<a/>', n),
      (n) => run('<?p?>', n, '<a/>'),
      (n) => `<a/>${run('<!---->', n)}`,
      () => run('<a/>', 4 * 1900),
      () => `<samlp:Response ${NS}>${run('<a/>', 4 * 1900)}</samlp:Response>`,
      () => `<samlp:Response ${NS}>${run('<a>', 3 * 1000)}${run('</a>', 4 * 990)}</samlp:Response>`,
    ];
    const xml = fc.oneof(
      fc.tuple(fc.constantFrom(...adversarial), sizeUpTo(XML_MAX)).map(([build, n]) => build(n)),
      text(2000),
    );
    await assertBounded(xml, (x) => client.finish(new URLSearchParams({ SAMLResponse: Buffer.from(x).toString('base64') }), pending), 60);
  }, 120_000);

  it('OIDC: the callback\'s query, as the endpoint reads it up to the error the provider reports', async () => {
    const config = parseConfig({ users: { source: 'none', sso: { providers: [{
      type: 'oidc', name: 'o', displayName: 'O', issuer: 'http://127.0.0.1:9', clientId: 'hlgw',
    }] } } }, '<test>', {}).users.sso.providers[0] as OidcProviderConfig;
    const client = new OidcClient(config, {});
    const pending = { kind: 'oidc' as const, provider: 'o', state: 's', nonce: 'n', codeVerifier: 'v', redirectUri: 'https://hl.example/auth/ui/sso/o/callback' };
    const MAX = DEFAULTS.maxHeaderBytes;
    const query = fc.oneof(
      fc.tuple(fc.constantFrom('%25', '%', '&', '=', '&error=', 'error=x&', '%2525', '+', ';', '%u0061', 'a'), sizeUpTo(MAX)).map(([u, n]) => run(u, n)),
      text(MAX),
    );
    await assertBounded(query, (q) => {
      const url = new URL(`/auth/ui/sso/o/callback?${q}&error=x`, 'http://127.0.0.1');
      return client.finish(url.searchParams, pending);
    }, 100);
  }, 120_000);

  it('/auth endpoints: reading and parsing a JSON or form body up to endpoints.maxBodyBytes', async () => {
    const MAX = DEFAULTS.endpointsMaxBodyBytes;
    const body = fc.oneof(
      fc.tuple(fc.constantFrom('[', '{"a":', '"\\u0000', '\\', '{"a":1,', '%25', '&', '=', '"'), sizeUpTo(MAX)).map(([u, n]) => run(u, n)),
      fc.integer({ min: 1, max: MAX / 8 }).map((n) => `{"a":${run('{"a":', n * 5)}1${'}'.repeat(n)}}`),
      text(MAX),
    );
    const type = fc.constantFrom('application/json', 'application/x-www-form-urlencoded');
    await assertBounded(fc.tuple(body, type), ([b, t]) => {
      const req = Object.assign(Readable.from([Buffer.from(b)]), { headers: { 'content-type': t } }) as unknown as IncomingMessage;
      return readFields(req, MAX, ['json', 'form']);
    }, 150);
  }, 120_000);

  it('the Authorization header and the request target (every request)', async () => {
    const MAX = DEFAULTS.maxHeaderBytes;
    const header = fc.oneof(
      fc.tuple(fc.constantFrom('Bearer ', 'bearer', ' ', 'A', '=', '.', 'eyJ'), sizeUpTo(MAX)).map(([u, n]) => `Bearer ${run(u, n)}`),
      text(MAX),
    );
    await assertBounded(header, (h) => classifyAuthorization(h, DEFAULTS.maxTokenBytes), 150);
    const target = fc.oneof(
      fc.tuple(fc.constantFrom('%25', '%', '?', ';', '&', 'tok', '%u', 'access_tok', '%2525255F', '?access%25', '\u017f'), sizeUpTo(MAX)).map(([u, n]) => `/p?${run(u, n)}`),
      text(MAX).map((s) => `/p?${s}`),
    );
    await assertBounded(target, (u) => hasTokenInUrl(u), 150);
  }, 120_000);

  it('opening a Bearer token: prefix, checksum, spelling, envelope, seal and claims, up to the largest tokens.maxTokenBytes', async () => {
    const MAX = 65_536;
    const key = createSecretKey(randomBytes(32));
    const p = { companyId: 'acme', enabled: true, generation: 1, durationMinutes: 60, key };
    const state: VerificationState = { portfolio: () => p, isAllowed: () => true, isDeniedByOperator: () => false, isRevoked: () => false, revoke: () => undefined };
    // With a correct checksum, so each input reaches the parse behind it.
    const checked = (s: string) => s + tokenChecksum(s);
    const token = fc.oneof(
      fc.tuple(fc.constantFrom('A', '_', '-', '=', 'hlgw_', 'AQEB', '\u00e9'), sizeUpTo(MAX)).map(([u, n]) => checked(`hlgw_${run(u, n - 11)}`)),
      fc.tuple(fc.constantFrom('A', 'hlgw_', '0'), sizeUpTo(MAX)).map(([u, n]) => run(u, n)),
      // A version-1 envelope claiming a long company id and a long ciphertext.
      sizeUpTo(MAX).map((n) => checked(`hlgw_${Buffer.concat([Buffer.from([1, 0, 0, 0, 1, 64]), Buffer.alloc(Math.floor(n * 0.7))]).toString('base64url')}`)),
      text(MAX),
    );
    await assertBounded(token, (t) => openToken(t, state, 0, 0), 150);
  }, 120_000);
});
