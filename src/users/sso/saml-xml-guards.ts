import { DOMParser } from '@xmldom/xmldom';
import { GatewayError } from '../../errors.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

/*
 * Both checks run on the attacker's XML before any signature is verified: nothing here may
 * backtrack. Every regular expression below is linear (test/security/redos.test.ts checks them
 * all with recheck) and the Destination is read from xmldom's DOM, the parser node-saml uses next.
 */

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
  // Linear: each match starts at a `<` and its `[^<>]*` stops at the next `<`.
  for (const m of xml.matchAll(/<(\/?)(?:[A-Za-z_][\w.-]*:)?(SignatureMethod|DigestMethod)(?=[\s/>])([^<>]*)>/g)) {
    tags++;
    if (m[1] === '/') continue;
    const alg = /\sAlgorithm="([^"]*)"/.exec(m[3] ?? '')?.[1];
    const want = m[2] === 'SignatureMethod' ? RSA_SHA256 : SHA256;
    if (alg !== want) throw refuse(`the signature must use ${m[2] === 'SignatureMethod' ? 'RSA-SHA256' : 'SHA-256 digests'}`);
  }
  if (tags !== mentions) throw refuse('the response\'s signature could not be read');
}

/**
 * The Response's Destination attribute, when its root element is a Response (any prefix) that
 * has one. Read from the DOM, so comments, processing instructions and entity references are the
 * parser's business. XML that xmldom reports an error in is refused here, as node-saml (same
 * parser, same error handling) would refuse it a moment later.
 */
export function responseDestination(xml: string): string | undefined {
  let broken = false;
  let root: Element | null = null;
  try {
    const doc = new DOMParser({ errorHandler: (level) => { if (level !== 'warning') broken = true; } }).parseFromString(xml, 'text/xml');
    root = doc.documentElement;
  } catch {
    broken = true;
  }
  if (broken || root === null) throw refuse('the response is not well-formed XML');
  if (root.localName !== 'Response' || !root.hasAttribute('Destination')) return undefined;
  return root.getAttribute('Destination') ?? undefined;
}

function refuse(why: string): GatewayError {
  return new GatewayError('sso_failed', why);
}
