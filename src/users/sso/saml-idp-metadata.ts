import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** What an IdP's metadata tells us: where to send the AuthnRequest, and the keys its assertions are signed with. */
export interface IdpMetadata {
  /** The SingleSignOnService location for the HTTP-Redirect binding (absent: the IdP offers no such binding). */
  entryPoint: string | undefined;
  /** PEM certificates of its signing keys (several during a key rollover). */
  certs: string[];
}

/**
 * Reads the IdP's SAML 2.0 metadata (what IdP admins hand out: an EntityDescriptor, or an
 * EntitiesDescriptor of a federation) for the entity `idpIssuer`. The file is the operator's, read
 * at start: its signature is not checked (trust comes from where the operator got it), but a DTD
 * is refused like in a Response, and every certificate must parse. Throws a message fit for an
 * operator: what is missing, never a guess.
 */
export function readIdpMetadata(xml: string, idpIssuer: string): IdpMetadata {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error('the metadata contains a DTD');
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: (level, msg) => { if (level !== 'warning') errors.push(String(msg).split('\n')[0]!); } })
    .parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !doc.documentElement) throw new Error(`the metadata is not well-formed XML (${errors[0] ?? 'no root element'})`);

  const entities = Array.from(doc.getElementsByTagNameNS(MD, 'EntityDescriptor'));
  if (entities.length === 0) throw new Error('the metadata has no EntityDescriptor (SAML 2.0 metadata namespace)');
  const entity = entities.find((e) => attr(e, 'entityID') === idpIssuer);
  if (!entity) {
    const ids = entities.map((e) => attr(e, 'entityID') ?? '?').slice(0, 5);
    throw new Error(`the metadata describes ${ids.map((i) => `"${i}"`).join(', ')}, not idpIssuer "${idpIssuer}"`);
  }
  const idp = children(entity, MD, 'IDPSSODescriptor')
    .find((d) => (attr(d, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(PROTOCOL));
  if (!idp) throw new Error(`"${idpIssuer}" has no IDPSSODescriptor for SAML 2.0 in the metadata`);

  const redirect = children(idp, MD, 'SingleSignOnService').find((s) => attr(s, 'Binding') === HTTP_REDIRECT);
  const location = redirect && attr(redirect, 'Location');
  if (location !== undefined && !/^https?:\/\//.test(location)) throw new Error(`the HTTP-Redirect SingleSignOnService Location is not an http(s) URL`);

  // A KeyDescriptor without `use` is for both signing and encryption (SAML metadata §2.4.1.1).
  const certs = children(idp, MD, 'KeyDescriptor')
    .filter((k) => (attr(k, 'use') ?? 'signing') === 'signing')
    .flatMap((k) => Array.from(k.getElementsByTagNameNS(DS, 'X509Certificate')))
    .map((c) => pem(c.textContent ?? ''));
  if (certs.length === 0) throw new Error(`"${idpIssuer}" has no signing certificate (KeyDescriptor with an X509Certificate) in the metadata`);
  return { entryPoint: location, certs };
}

/** An attribute's value; undefined when absent (xmldom's getAttribute answers '' then). */
function attr(e: Element, name: string): string | undefined {
  return e.hasAttribute(name) ? e.getAttribute(name)! : undefined;
}

function children(parent: Element, ns: string, name: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n !== null; n = n.nextSibling) {
    const e = n as Element;
    if (n.nodeType === n.ELEMENT_NODE && e.namespaceURI === ns && e.localName === name) out.push(e);
  }
  return out;
}

function pem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(body)) throw new Error('an X509Certificate in the metadata is not base64');
  const text = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(text);
  } catch {
    throw new Error('an X509Certificate in the metadata does not parse');
  }
  return text;
}
