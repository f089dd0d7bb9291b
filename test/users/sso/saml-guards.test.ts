import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReferencedFiles } from '../../../src/config/check-files.js';
import { parseConfig } from '../../../src/config/load.js';
import { GatewayError } from '../../../src/errors.js';
import { checkSignatureAlgorithms, responseDestination } from '../../../src/users/sso/saml-xml-guards.js';

const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const signed = (sig: string, digest = SHA256) =>
  `<samlp:Response><saml:Assertion><ds:Signature><ds:SignedInfo><ds:SignatureMethod Algorithm="${sig}"/><ds:Reference><ds:DigestMethod Algorithm="${digest}"></ds:DigestMethod></ds:Reference></ds:SignedInfo></ds:Signature></saml:Assertion></samlp:Response>`;

describe('checkSignatureAlgorithms: RSA-SHA256 and SHA-256 only, read as a deny-check', () => {
  it('accepts the pinned pair (self-closing and open/close tags) and a response with no signature (node-saml then refuses it)', () => {
    expect(() => checkSignatureAlgorithms(signed(RSA_SHA256))).not.toThrow();
    expect(() => checkSignatureAlgorithms('<samlp:Response/>')).not.toThrow();
  });

  it.each([
    ['RSA-SHA1', signed('http://www.w3.org/2000/09/xmldsig#rsa-sha1'), /RSA-SHA256/],
    ['a SHA-1 digest', signed(RSA_SHA256, 'http://www.w3.org/2000/09/xmldsig#sha1'), /SHA-256 digests/],
    ['HMAC', signed('http://www.w3.org/2000/09/xmldsig#hmac-sha1'), /RSA-SHA256/],
    ['a single-quoted algorithm', signed(RSA_SHA256).replace(`Algorithm="${RSA_SHA256}"`, `Algorithm='${RSA_SHA256}'`), /RSA-SHA256/],
    ['an entity-encoded algorithm', signed(RSA_SHA256.replace('#', '&#x23;')), /RSA-SHA256/],
    ['an unprefixed second SignatureMethod', signed(RSA_SHA256).replace('</ds:SignedInfo>', '<SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/></ds:SignedInfo>'), /RSA-SHA256/],
    ['a commented-out tag', signed(RSA_SHA256).replace('<ds:SignedInfo>', '<ds:SignedInfo><!-- <ds:SignatureMethod --> '), /RSA-SHA256/],
    // Over-cautious by design: a text that merely names the element refuses the response rather than being skipped.
    ['a mention outside any tag', signed(RSA_SHA256).replace('</saml:Assertion>', '<x>SignatureMethod</x></saml:Assertion>'), /could not be read/],
    ['a DTD', `<!DOCTYPE r [<!ENTITY a "b">]>${signed(RSA_SHA256)}`, /DTD/],
  ])('refuses %s', (_n, xml, reason) => {
    let err: unknown;
    try { checkSignatureAlgorithms(xml); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('sso_failed');
    expect((err as GatewayError).detail).toMatch(reason);
  });
});

describe('responseDestination', () => {
  it.each([
    ['<samlp:Response ID="_1" Destination="https://hl.example/auth/ui/sso/x/acs">', 'https://hl.example/auth/ui/sso/x/acs'],
    ['<?xml version="1.0"?>\n<Response Destination="https://a/b?c=1&amp;d=2">', 'https://a/b?c=1&d=2'],
    ['<samlp:Response ID="_1">', undefined],
    ['<samlp:LogoutResponse Destination="x">', undefined],
  ])('%s → %s', (xml, want) => {
    expect(responseDestination(xml)).toBe(want);
  });
});

describe('SAML provider config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-saml-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const saml = (o: Record<string, unknown> = {}) => ({
    type: 'saml', name: 'acme-saml', displayName: 'Acme SAML', entryPoint: 'https://idp.example/sso', idpIssuer: 'urn:idp', idpCertFile: join(dir, 'idp.pem'), ...o,
  });
  const parse = (p: Record<string, unknown>) => parseConfig({ users: { source: 'none', sso: { providers: [p] } } }, '<test>', {});

  it('defaults: NameID as the user id, 60 s of clock skew, the usual attribute names', () => {
    const p = parse(saml()).users.sso.providers[0]!;
    expect(p).toMatchObject({ type: 'saml', clockSkewSeconds: 60, managerGroup: 'portfolioManager', attributes: { userId: 'nameID', login: 'email', companyId: 'company_id', groups: 'groups' } });
  });

  it.each([
    [{ clockSkewSeconds: 301 }, 'users.sso.providers.0.clockSkewSeconds'],
    [{ entryPoint: 'ftp://idp.example/sso' }, 'users.sso.providers.0.entryPoint'],
    [{ publicUrl: 'https://hl.example/path' }, 'users.sso.providers.0.publicUrl'],
    [{ issuer: 'https://oidc-only.example' }, 'users.sso.providers.0'],
  ])('%j is a config error at %s', (o, path) => {
    expect(() => parse(saml(o))).toThrow(path);
  });

  it('check-config finds an IdP certificate file that is missing or not a certificate', async () => {
    const config = parse(saml());
    expect((await checkReferencedFiles(config, { HLGW_MASTER_KEY: 'x' })).problems).toEqual([
      expect.objectContaining({ path: 'users.sso.providers.0.idpCertFile', message: expect.stringContaining('cannot read') as string }),
    ]);
    writeFileSync(join(dir, 'idp.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect((await checkReferencedFiles(config, { HLGW_MASTER_KEY: 'x' })).problems).toEqual([
      expect.objectContaining({ path: 'users.sso.providers.0.idpCertFile', message: expect.stringContaining('expected a PEM certificate') as string }),
    ]);
  });
});
