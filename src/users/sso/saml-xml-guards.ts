import { DOMParser } from '@xmldom/xmldom';
import { GatewayError } from '../../errors.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

/*
 * These checks run on the attacker's XML before any signature is verified: nothing here may
 * backtrack. Every regular expression below is linear (test/security/redos.test.ts checks them
 * all with recheck), the rest are indexOf scans, and the Destination is read from xmldom's DOM
 * (the parser node-saml uses next) in a parse that ends at the first error.
 */

/**
 * Tags (`<`) a Response may hold: about 2,500 elements, so some 2,000 attribute values beside the
 * signature. xmldom and node-saml's XPath queries spend microseconds per element, twice (our parse,
 * then node-saml's): 60,000 nested elements, which fit in the ACS's 256 KiB, took over half a second.
 */
export const MAX_TAGS = 5000;

/**
 * `=` signs from one `<` to the next: every attribute has one (whatever the spaces around it), and
 * xmldom adds each attribute after a scan of those already there (N² per element). Text counts
 * too, which only makes the bound stricter: a group written as an LDAP DN has a handful.
 */
export const MAX_EQUALS_PER_TAG = 256;

/**
 * The shape of the Response before any parser sees it, by linear scans: at most MAX_TAGS tags
 * and MAX_EQUALS_PER_TAG attributes in an element, no DTD, no comment and no processing instruction
 * but a leading XML declaration. A SAML message has no use for them; comments are the classic way
 * to split a signed NameID (`a<!---->b` reads as `a` to some libraries); and xmldom checks every
 * node added at the top level against all the others there, so a flood of top-level comments or
 * processing instructions costs N² (20,000 of them: seconds).
 */
export function checkResponseShape(xml: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw refuse('the response contains a DTD');
  if (xml.includes('<!--')) throw refuse('the response contains an XML comment');
  // The XML declaration is the one `<?` allowed, and only as the very first bytes (after a BOM).
  const pi = xml.indexOf('<?');
  if (pi !== -1 && (!/^\uFEFF?<\?xml\s/.test(xml) || xml.includes('<?', pi + 2))) throw refuse('the response contains a processing instruction');
  let tags = 0;
  let equals = 0;
  for (let i = 0; i < xml.length; i++) {
    const c = xml.charCodeAt(i);
    if (c === 60 /* < */) {
      if (++tags > MAX_TAGS) throw refuse(`the response has more than ${MAX_TAGS} tags`);
      equals = 0;
    } else if (c === 61 /* = */ && ++equals > MAX_EQUALS_PER_TAG) {
      throw refuse(`the response has an element with more than ${MAX_EQUALS_PER_TAG} attributes`);
    }
  }
}

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
 * has one. Read from the DOM, so quoting, entity references and namespaces are the parser's
 * business.
 *
 * The parse stops at xmldom's first error and the response is refused: node-saml (same parser)
 * would refuse it too, but only after parsing to the end, and xmldom's recovery is where the cost
 * hides (each extra top-level element is checked against all the others: 16,000 `<a/>` ran for
 * 30 s). So node-saml only ever sees XML that xmldom reads without an error.
 */
export function responseDestination(xml: string): string | undefined {
  let root: Element | null;
  try {
    root = new DOMParser({ errorHandler: { warning: () => {}, error: stop, fatalError: stop } }).parseFromString(xml, 'text/xml').documentElement;
  } catch {
    root = null;
  }
  if (root === null) throw refuse('the response is not well-formed XML');
  if (root.localName !== 'Response' || !root.hasAttribute('Destination')) return undefined;
  return root.getAttribute('Destination') ?? undefined;
}

function stop(message: string): never {
  throw new Error(message);
}

function refuse(why: string): GatewayError {
  return new GatewayError('sso_failed', why);
}
