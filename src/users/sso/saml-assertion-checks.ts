import { GatewayError } from '../../errors.js';

/** What an assertion must match: the sign-in we started, by our clock. */
export interface AssertionExpectations {
  idpIssuer: string;
  requestId: string;
  acsUrl: string;
  now: number;
  skewMs: number;
}

/** The parts of a verified assertion the replay cache needs. */
export interface CheckedAssertion {
  id: string;
  /** Remember the id until then: past it, the time checks refuse the assertion anyway. */
  keepUntil: number;
}

type Node = Record<string, unknown>;

/**
 * The checks node-saml leaves to us, on the assertion it verified (xml2js form, from
 * `profile.getAssertion()`: attributes under `$`, children in arrays). Pure; the clock is an
 * argument. SAML 2.0 Profiles §4.1.4.2-3 (Web Browser SSO): the Issuer is the IdP; a bearer
 * SubjectConfirmation whose data names our ACS as Recipient, our request as InResponseTo and a
 * NotOnOrAfter still ahead; the Conditions' NotBefore/NotOnOrAfter hold. Times allow `skewMs`.
 * The audience and the signature are node-saml's (`audience`, `wantAssertionsSigned`).
 */
export function checkAssertion(parsed: unknown, e: AssertionExpectations): CheckedAssertion {
  // xml2js with explicitRoot: the root element is an object, its children are arrays.
  const root = (parsed as Node | null)?.['Assertion'];
  const a = (Array.isArray(root) ? root[0] : root) as Node | undefined;
  const attrs = (a?.['$'] ?? {}) as Record<string, string>;
  if (typeof a !== 'object' || a === null || typeof attrs.ID !== 'string' || attrs.ID === '') throw refuse('the assertion has no ID');
  if (text(child(a, 'Issuer')) !== e.idpIssuer) throw refuse('the assertion was not issued by the configured identity provider');

  const subject = child(a, 'Subject');
  const confirmations = (subject?.['SubjectConfirmation'] ?? []) as Node[];
  const bearer = confirmations.filter((c) => (c['$'] as Record<string, string> | undefined)?.Method === 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
  if (bearer.length === 0) throw refuse('the assertion has no bearer subject confirmation');
  // Each check names its failure; with several bearer confirmations, one must pass them all.
  let why = '';
  let until = Number.NaN;
  for (const c of bearer) {
    const d = (child(c, 'SubjectConfirmationData')?.['$'] ?? {}) as Record<string, string>;
    if (d.Recipient !== e.acsUrl) { why = 'the assertion is for another recipient (not this gateway\'s ACS URL)'; continue; }
    if (d.InResponseTo !== e.requestId) { why = 'the assertion answers another sign-in request (InResponseTo)'; continue; }
    const notOnOrAfter = time(d.NotOnOrAfter);
    if (notOnOrAfter === undefined) { why = 'the subject confirmation has no valid NotOnOrAfter'; continue; }
    if (e.now - e.skewMs >= notOnOrAfter) { why = 'the assertion has expired (NotOnOrAfter)'; continue; }
    const notBefore = time(d.NotBefore);
    if (d.NotBefore !== undefined && (notBefore === undefined || e.now + e.skewMs < notBefore)) { why = 'the assertion is not yet valid (NotBefore)'; continue; }
    why = '';
    until = notOnOrAfter;
    break;
  }
  if (why !== '') throw refuse(why);

  const conditions = (a['Conditions'] ?? []) as Node[];
  if (conditions.length !== 1) throw refuse('the assertion must have exactly one Conditions element');
  const c = (conditions[0]!['$'] ?? {}) as Record<string, string>;
  if (c.NotBefore !== undefined) {
    const t = time(c.NotBefore);
    if (t === undefined || e.now + e.skewMs < t) throw refuse('the assertion is not yet valid (NotBefore)');
  }
  if (c.NotOnOrAfter !== undefined) {
    const t = time(c.NotOnOrAfter);
    if (t === undefined || e.now - e.skewMs >= t) throw refuse('the assertion has expired (NotOnOrAfter)');
    until = Math.max(until, t);
  }
  return { id: attrs.ID, keepUntil: until + e.skewMs };
}

function child(n: Node | undefined, name: string): Node | undefined {
  const v = n?.[name];
  return Array.isArray(v) ? (v[0] as Node | undefined) : undefined;
}

function text(n: Node | string | undefined): string | undefined {
  if (typeof n === 'string') return n;
  const v = n?.['_'];
  return typeof v === 'string' ? v : undefined;
}

/** An xs:dateTime as SAML uses it (UTC); undefined when absent or not a date. */
function time(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function refuse(why: string): GatewayError {
  return new GatewayError('sso_failed', why);
}
