import { GatewayError } from '../errors.js';
import type { TokenRecord } from '../store/types.js';
import type { TokenClaims } from '../token/format.js';
import { openCredential } from './replay-credential.js';

/** RFC 7617 §2: `Basic` and the base64 of user-id ":" password, as one canonical spelling. */
const BASIC_RE = /^Basic [A-Za-z0-9+/]+=*$/;

/**
 * What basic mode prepares: the user's own `Authorization: Basic`, ready to send. A class of its
 * own, so the request path can tell a replayed credential (whose upstream 401 means "password
 * changed", src/identity/replay-rejections.ts) from identity headers, whatever their names.
 */
export class ReplayedCredential {
  constructor(readonly authorization: string) {}
}

/**
 * The header to keep for replay, from the Authorization that authorize accepted: the scheme is
 * case-insensitive and spaces vary (RFC 7235 §2.1), the bytes of the credential do not.
 */
export function replayableAuthorization(header: string | undefined): string | undefined {
  const m = /^basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? '');
  return m ? `Basic ${m[1]}` : undefined;
}

/**
 * `identity.upstream: basic`: the upstream gets, for a Bearer request, the very
 * `Authorization: Basic` the user gave at authorize: same account, same permissions, no change
 * behind the gateway. Built once per verified token on the cache miss (the store record is
 * already fetched by the issued-id check) and cached with it; never logged, never a metric label.
 *
 * No identity header is sent: the API behind only knows Basic (and the spoofed ones are stripped).
 * A token without a credential (issued in another mode, or an SSO user without a password) cannot
 * be replayed: 401 credential_missing, renewing with Basic fixes it.
 */
export function basicIdentity(claims: TokenClaims, record: TokenRecord | undefined): ReplayedCredential {
  const sealed = record?.sealedCredential;
  if (claims.replayKey === undefined || !sealed) throw new GatewayError('credential_missing');
  const header = openCredential(sealed, claims.replayKey, claims.tokenId);
  // A value that does not open, or is not a Basic header, is never sent: it could split a header.
  if (header === undefined || !BASIC_RE.test(header)) throw new GatewayError('credential_missing');
  return new ReplayedCredential(header);
}
