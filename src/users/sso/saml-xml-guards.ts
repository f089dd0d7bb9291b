import { GatewayError } from '../../errors.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

/**
 * Pins the signature algorithms before node-saml verifies anything (RFC 8725's lesson, for
 * XML-DSig): every SignatureMethod must be RSA-SHA256 and every DigestMethod SHA-256, so a
 * response signed with RSA-SHA1 (collisions are practical) is refused whatever the key.
 * node-saml's verifier (xml-crypto) accepts SHA-1 by default and has no option to narrow it.
 *
 * This reads the raw text, not a DOM: it is a deny-check, so it only has to see every
 * occurrence. Any mention of SignatureMethod or DigestMethod that is not an opening tag with
 * the one allowed Algorithm literal (or a closing tag) refuses the response: an encoded or
 * oddly quoted value fails equality, it cannot slip past. A DTD is refused outright (SAML
 * messages have none, and entities could hide text from this check).
 */
export function checkSignatureAlgorithms(xml: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw refuse('the response contains a DTD');
  const mentions = (xml.match(/SignatureMethod|DigestMethod/g) ?? []).length;
  let tags = 0;
  for (const m of xml.matchAll(/<(\/?)(?:[A-Za-z_][\w.-]*:)?(SignatureMethod|DigestMethod)(?=[\s/>])([^<>]*)>/g)) {
    tags++;
    if (m[1] === '/') continue;
    const alg = /\sAlgorithm="([^"]*)"/.exec(m[3] ?? '')?.[1];
    const want = m[2] === 'SignatureMethod' ? RSA_SHA256 : SHA256;
    if (alg !== want) throw refuse(`the signature must use ${m[2] === 'SignatureMethod' ? 'RSA-SHA256' : 'SHA-256 digests'}`);
  }
  if (tags !== mentions) throw refuse('the response\'s signature could not be read');
}

/** The Response's Destination attribute, when its root element has one. */
export function responseDestination(xml: string): string | undefined {
  const root = /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:[A-Za-z_][\w.-]*:)?Response(?=[\s/>])([^<>]*)>/.exec(xml);
  if (root === null) return undefined;
  return /\sDestination="([^"]*)"/.exec(root[1] ?? '')?.[1]?.replace(/&amp;/g, '&');
}

function refuse(why: string): GatewayError {
  return new GatewayError('sso_failed', why);
}
