import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReferencedFiles } from '../../../src/cli/check-config-files.js';
import { parseConfig } from '../../../src/config/load.js';
import type { SamlProviderConfig } from '../../../src/config/sso-schema.js';
import { GatewayError } from '../../../src/errors.js';
import { knownIdp } from '../../../src/users/sso/saml-client.js';
import { readIdpMetadata } from '../../../src/users/sso/saml-idp-metadata.js';
import { checkResponseShape, checkSignatureAlgorithms, MAX_EQUALS_PER_TAG, MAX_TAGS, responseDestination } from '../../../src/users/sso/saml-xml-guards.js';

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

describe('checkResponseShape: what a SAMLResponse may not hold, checked before any parser runs', () => {
  it('accepts a signed response, with or without an XML declaration', () => {
    expect(() => checkResponseShape(signed(RSA_SHA256))).not.toThrow();
    expect(() => checkResponseShape(`<?xml version="1.0" encoding="UTF-8"?>\n${signed(RSA_SHA256)}`)).not.toThrow();
    expect(() => checkResponseShape(`\uFEFF<?xml version="1.0"?>${signed(RSA_SHA256)}`)).not.toThrow();
    expect(() => checkResponseShape(`<r>${'<a/>'.repeat(MAX_TAGS - 2)}</r>`)).not.toThrow();
    expect(() => checkResponseShape(`<r ${Array.from({ length: MAX_EQUALS_PER_TAG }, (_, i) => `a${i}="1"`).join(' ')}/>`)).not.toThrow();
  });

  it.each([
    ['a DTD', `<!DOCTYPE r>${signed(RSA_SHA256)}`, /DTD/],
    ['a comment (the NameID-splitting trick)', signed(RSA_SHA256).replace('<ds:Signature>', 'a<!---->b<ds:Signature>'), /XML comment/],
    ['a flood of top-level comments', '<!---->'.repeat(30) + 'x', /XML comment/],
    ['a processing instruction', signed(RSA_SHA256).replace('<ds:Signature>', '<?x y?><ds:Signature>'), /processing instruction/],
    ['a second XML declaration', `<?xml version="1.0"?><?xml version="1.0"?>${signed(RSA_SHA256)}`, /processing instruction/],
    ['a declaration after a space', ` <?xml version="1.0"?>${signed(RSA_SHA256)}`, /processing instruction/],
    ['too many tags', `<r>${'<a/>'.repeat(MAX_TAGS)}</r>`, /more than 5000 tags/],
    ['too many attributes in one element', `<r ${Array.from({ length: MAX_EQUALS_PER_TAG + 1 }, (_, i) => `a${i} = "1"`).join(' ')}/>`, /more than 256 attributes/],
  ])('refuses %s', (_n, xml, reason) => {
    expect(() => checkResponseShape(xml)).toThrow(expect.objectContaining({ code: 'sso_failed', detail: expect.stringMatching(reason) as string }));
  });
});

describe('responseDestination: read from the DOM', () => {
  const P = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"';
  it.each([
    [`<samlp:Response ${P} ID="_1" Destination="https://hl.example/auth/ui/sso/x/acs"/>`, 'https://hl.example/auth/ui/sso/x/acs'],
    ['<?xml version="1.0"?>\n<Response Destination="https://a/b?c=1&amp;d=2"></Response>', 'https://a/b?c=1&d=2'],
    [`<samlp:Response ${P} Destination='https://a/&#x62;'/>`, 'https://a/b'],
    [`<samlp:Response ${P} ID="_1"/>`, undefined],
    [`<samlp:LogoutResponse ${P} Destination="x"/>`, undefined],
    // Only the root counts: a Response deeper down is not the message.
    [`<x><samlp:Response ${P} Destination="y"/></x>`, undefined],
  ])('%s → %s', (xml, want) => {
    expect(responseDestination(xml)).toBe(want);
  });

  it.each([
    ['comments and no root (once a catastrophic backtrack)', '<!---->'.repeat(30) + 'x'],
    // xmldom's recovery from this one checked each further element against all the others (N²).
    ['two root elements', '<a/><a/>'],
    ['nothing', ''],
  ])('refuses XML that does not parse: %s', (_n, xml) => {
    expect(() => responseDestination(xml)).toThrow(expect.objectContaining({ code: 'sso_failed', detail: expect.stringMatching(/not well-formed XML/) as string }));
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
    [{ idpCertFile: undefined }, 'users.sso.providers.0.idpCertFile: give the IdP\'s signing certificate'],
    [{ idpMetadataFile: join(dir, 'idp.xml') }, 'users.sso.providers.0.idpCertFile: give the IdP\'s signing certificate'],
    [{ entryPoint: undefined }, 'users.sso.providers.0.entryPoint: required without idpMetadataFile'],
  ])('%j is a config error at %s', (o, path) => {
    expect(() => parse(saml(o))).toThrow(path);
  });

  it('with idpMetadataFile, entryPoint may come from the metadata', () => {
    expect(parse(saml({ entryPoint: undefined, idpCertFile: undefined, idpMetadataFile: join(dir, 'idp.xml') })).users.sso.providers[0]).toMatchObject({ idpMetadataFile: join(dir, 'idp.xml') });
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

describe('IdP metadata (idpMetadataFile)', () => {
  const cert = execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-days', '1', '-subj', '/CN=metadata test'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const b64 = cert.replace(/-----[A-Z ]+-----|\s/g, '');
  const key = (use?: string) => `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n${b64.match(/.{1,76}/g)!.join('\n')}\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  const redirect = '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>';
  const entity = (inner: string, id = 'urn:idp', protocols = 'urn:oasis:names:tc:SAML:2.0:protocol') =>
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${id}"><md:IDPSSODescriptor protocolSupportEnumeration="${protocols}">${inner}</md:IDPSSODescriptor></md:EntityDescriptor>`;

  it('reads the HTTP-Redirect SSO URL and the signing certificates (a KeyDescriptor without use signs too), as PEM', () => {
    const m = readIdpMetadata(entity(key() + key('signing') + key('encryption') + redirect), 'urn:idp');
    expect(m.entryPoint).toBe('https://idp.example/sso');
    expect(m.certs).toHaveLength(2);
    expect(new X509Certificate(m.certs[0]!).fingerprint256).toBe(new X509Certificate(cert).fingerprint256);
  });

  it('no HTTP-Redirect binding: no entry point from the metadata (the config must give one)', () => {
    expect(readIdpMetadata(entity(key()), 'urn:idp').entryPoint).toBeUndefined();
    const p = parseConfig({ users: { source: 'none', sso: { providers: [{ type: 'saml', name: 'x', displayName: 'X', idpIssuer: 'urn:idp', idpMetadataFile: '/m.xml' }] } } }, '<test>', {}).users.sso.providers[0]!;
    expect(() => knownIdp(p as SamlProviderConfig, entity(key()))).toThrow(/no SingleSignOnService with the HTTP-Redirect binding in the metadata: set entryPoint/);
    expect(knownIdp({ ...(p as SamlProviderConfig), entryPoint: 'https://idp.example/own' }, entity(key() + redirect)).entryPoint).toBe('https://idp.example/own');
  });

  it.each([
    ['not XML', 'not xml at all <', /not well-formed XML|no EntityDescriptor/],
    ['a DTD', `<!DOCTYPE x [<!ENTITY e "urn:idp">]>${entity(key() + redirect)}`, /DTD/],
    ['another entity', entity(key() + redirect, 'urn:other'), /describes "urn:other", not idpIssuer "urn:idp"/],
    ['no SAML 2.0 IdP role', entity(key() + redirect, 'urn:idp', 'urn:oasis:names:tc:SAML:1.1:protocol'), /no IDPSSODescriptor for SAML 2.0/],
    ['only an encryption key', entity(key('encryption') + redirect), /no signing certificate/],
    ['a certificate that is not one', entity(key().replace(b64.slice(0, 40), 'AAAA') + redirect), /does not parse/],
    ['a javascript: SSO URL', entity(key() + redirect.replace('https://idp.example/sso', 'javascript:alert(1)')), /not an http\(s\) URL/],
  ])('refuses %s with a message naming what is wrong', (_n, xml, reason) => {
    expect(() => readIdpMetadata(xml, 'urn:idp')).toThrow(reason);
  });

  it('check-config names the metadata file and its problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hlgw-saml-md-'));
    try {
      const file = join(dir, 'idp.xml');
      writeFileSync(file, entity(key() + redirect, 'urn:other'));
      const config = parseConfig({ users: { source: 'none', sso: { providers: [{ type: 'saml', name: 'x', displayName: 'X', idpIssuer: 'urn:idp', idpMetadataFile: file }] } } }, '<test>', {});
      expect((await checkReferencedFiles(config, { HLGW_MASTER_KEY: 'x' })).problems).toEqual([
        { path: 'users.sso.providers.0.idpMetadataFile', message: `${file} is not usable: the metadata describes "urn:other", not idpIssuer "urn:idp"` },
      ]);
      writeFileSync(file, entity(key() + redirect));
      expect((await checkReferencedFiles(config, { HLGW_MASTER_KEY: 'x' })).problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
