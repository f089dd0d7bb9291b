import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

/** How the next Response leaves the IdP: as it should, or spoiled in one precise way. */
export type SamlTamper =
  | 'none' | 'unsigned' | 'other-key' | 'edited-after-signing' | 'sha1'
  | 'audience' | 'recipient' | 'destination' | 'expired' | 'not-yet-valid' | 'other-issuer';

/** What the IdP read from our AuthnRequest. */
export interface AuthnRequestSeen {
  id: string;
  acsUrl: string;
  spEntityId: string;
}

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * A SAML 2.0 IdP on loopback, built in the test: it reads our HTTP-Redirect AuthnRequest
 * (deflated, base64), answers with a Response whose Assertion it signs with xml-crypto (the
 * library node-saml verifies with) under a throwaway RSA key and self-signed certificate made
 * with `openssl`, and sends the browser back with an auto-posting form, as real IdPs do. It is
 * reached as `localhost` while the gateway is `127.0.0.1`: two sites, so the POST to the ACS is
 * really cross-site and the SameSite=Lax pre-session cookie really stays behind.
 * `tamper` spoils the next Responses in one way each, so exactly one check can refuse them.
 */
export class TestSamlIdp {
  readonly entityId = 'urn:test:hlgw-saml-idp';
  readonly dir = mkdtempSync(join(tmpdir(), 'hlgw-saml-idp-'));
  readonly certFile: string;
  tamper: SamlTamper = 'none';
  /** The page sends the previous Response again instead of answering this request. */
  replayPrevious = false;
  private previous = '';
  /** Whose assertion the IdP's page issues (its "sign-in"): a key of `accounts`. */
  account = '';
  url = '';
  private readonly key: string;
  private readonly cert: string;
  private readonly otherKey: string;
  private readonly otherCert: string;
  private readonly server: Server;

  constructor(readonly accounts: Record<string, Record<string, string | string[]>>, private readonly now: () => number) {
    ({ key: this.key, cert: this.cert } = this.keyPair('idp'));
    ({ key: this.otherKey, cert: this.otherCert } = this.keyPair('other'));
    this.certFile = join(this.dir, 'idp.crt');
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      if (u.pathname !== '/sso') { res.statusCode = 404; res.end(); return; }
      const seen = TestSamlIdp.readRequest(u);
      // A replay: the Response this page sent last time (an attacker's copy of one), not a new one.
      const response = this.replayPrevious ? this.previous : this.respond(seen, this.account, this.tamper);
      this.previous = response;
      // The IdP's own page (not ours): an auto-posting form, like real IdPs' HTTP-POST binding.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><body><form method="post" action="${seen.acsUrl}"><input type="hidden" name="SAMLResponse" value="${response}"><button>Continue</button></form><script>document.forms[0].submit()</script></body></html>`);
    });
  }

  /** http://localhost:{port}/sso: the entryPoint to configure. */
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://localhost:${(this.server.address() as AddressInfo).port}`;
    return `${this.url}/sso`;
  }

  /**
   * The IdP's SAML 2.0 metadata, as an IdP admin exports it (after listen()), written to a file:
   * a federation's EntitiesDescriptor with a stranger first, the signing certificate in a
   * KeyDescriptor without `use` (both uses), the other key's certificate for encryption only (it
   * must not verify assertions), and an HTTP-POST SSO service before the HTTP-Redirect one.
   */
  writeMetadata(): string {
    const b64 = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');
    const keyInfo = (pem: string) => `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${b64(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`;
    const xml = '<?xml version="1.0" encoding="UTF-8"?>'
      + '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
      + '<md:EntityDescriptor entityID="urn:test:stranger"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
      + `<md:KeyDescriptor use="signing">${keyInfo(this.otherCert)}</md:KeyDescriptor>`
      + '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://127.0.0.1:9/stranger"/>'
      + '</md:IDPSSODescriptor></md:EntityDescriptor>'
      + `<md:EntityDescriptor entityID="${esc(this.entityId)}"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`
      + `<md:KeyDescriptor>${keyInfo(this.cert)}</md:KeyDescriptor>`
      + `<md:KeyDescriptor use="encryption">${keyInfo(this.otherCert)}</md:KeyDescriptor>`
      + `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${this.url}/sso-post"/>`
      + `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${this.url}/sso"/>`
      + '</md:IDPSSODescriptor></md:EntityDescriptor></md:EntitiesDescriptor>';
    const file = join(this.dir, 'idp-metadata.xml');
    writeFileSync(file, xml);
    return file;
  }

  /** Our AuthnRequest, as the IdP reads it from the redirect URL. */
  static readRequest(location: URL): AuthnRequestSeen {
    const xml = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(xml)?.[1] ?? '';
    const issuer = /<(?:saml:)?Issuer[^>]*>([^<]*)</.exec(xml)?.[1] ?? '';
    return { id: attr('ID'), acsUrl: attr('AssertionConsumerServiceURL'), spEntityId: issuer };
  }

  /** A base64 Response for `req`, as `account`, spoiled per `tamper`. */
  respond(req: AuthnRequestSeen, account: string, tamper: SamlTamper = 'none'): string {
    const attrs = this.accounts[account];
    if (attrs === undefined) throw new Error(`no test account ${account}`);
    const now = this.now();
    const at = (minutes: number) => new Date(now + minutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const notBefore = tamper === 'not-yet-valid' ? at(10) : at(-1);
    const notOnOrAfter = tamper === 'expired' ? at(-10) : at(5);
    const acs = tamper === 'recipient' ? 'http://127.0.0.1:9/auth/ui/sso/elsewhere/acs' : req.acsUrl;
    const destination = tamper === 'destination' ? 'http://127.0.0.1:9/auth/ui/sso/elsewhere/acs' : req.acsUrl;
    const audience = tamper === 'audience' ? 'urn:someone-else' : req.spEntityId;
    const issuer = tamper === 'other-issuer' ? 'urn:another-idp' : this.entityId;
    const attributeXml = Object.entries(attrs).map(([name, v]) =>
      `<saml:Attribute Name="${esc(name)}">${(Array.isArray(v) ? v : [v]).map((x) => `<saml:AttributeValue>${esc(x)}</saml:AttributeValue>`).join('')}</saml:Attribute>`).join('');
    const assertionId = `_a${randomBytes(16).toString('hex')}`;
    const assertion = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}" Version="2.0" IssueInstant="${at(0)}">`
      + `<saml:Issuer>${esc(issuer)}</saml:Issuer>`
      + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${esc(account)}</saml:NameID>`
      + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${req.id}" Recipient="${esc(acs)}" NotOnOrAfter="${notOnOrAfter}"/></saml:SubjectConfirmation></saml:Subject>`
      + `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
      + `<saml:AuthnStatement AuthnInstant="${at(0)}" SessionIndex="_s${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
      + `<saml:AttributeStatement>${attributeXml}</saml:AttributeStatement>`
      + '</saml:Assertion>';
    let xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${at(0)}" Destination="${esc(destination)}" InResponseTo="${req.id}">`
      + `<saml:Issuer>${esc(issuer)}</saml:Issuer>`
      + '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
      + assertion + '</samlp:Response>';
    if (tamper !== 'unsigned') xml = this.sign(xml, tamper === 'other-key' ? this.otherKey : this.key, tamper === 'sha1' ? RSA_SHA1 : RSA_SHA256);
    if (tamper === 'edited-after-signing') xml = xml.replace('<saml:AttributeValue>acme</saml:AttributeValue>', '<saml:AttributeValue>globex</saml:AttributeValue>');
    return Buffer.from(xml).toString('base64');
  }

  /** An enveloped signature on the Assertion, after its Issuer (SAML core §5.4.1, schema order). */
  private sign(xml: string, privateKey: string, signatureAlgorithm: string): string {
    const sig = new SignedXml({ privateKey, publicCert: this.cert, signatureAlgorithm, canonicalizationAlgorithm: EXC_C14N });
    sig.addReference({
      xpath: "//*[local-name(.)='Assertion']",
      transforms: [ENVELOPED, EXC_C14N],
      digestAlgorithm: signatureAlgorithm === RSA_SHA1 ? 'http://www.w3.org/2000/09/xmldsig#sha1' : 'http://www.w3.org/2001/04/xmlenc#sha256',
    });
    sig.computeSignature(xml, { prefix: 'ds', location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' } });
    return sig.getSignedXml();
  }

  private keyPair(name: string): { key: string; cert: string } {
    const key = join(this.dir, `${name}.key`);
    const cert = join(this.dir, `${name}.crt`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name} test SAML IdP`],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
