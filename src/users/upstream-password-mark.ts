import { createHmac } from 'node:crypto';
import { normalizeLogin } from './normalize-login.js';

/** The MasterKey.deriveSubkey purpose of the key below: every instance derives the same one. */
export const UPSTREAM_PASSWORD_MARK_PURPOSE = 'hlgw/upstream-password-mark/v1';

/**
 * What a portal session of an upstream-directory user is bound to in place of a password hash the
 * gateway never sees: `u1.` + HMAC-SHA256(key, len ‖ normalised login ‖ password), truncated to
 * 128 bits, base64url (22 characters). The prefix (a `.` no users-file mark has) tells the session
 * check which source made the session (isUpstreamPasswordMark). `key` comes from the master key (UPSTREAM_PASSWORD_MARK_PURPOSE), so
 * every instance computes the same mark and a copy of the store alone tests no password guess
 * (docs/ARCHITECTURE.md, "The portal and its sessions"). The password is used here and nowhere kept.
 */
export function upstreamPasswordMark(key: Buffer, login: string, password: string): string {
  const l = Buffer.from(normalizeLogin(login), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(l.length);
  const mac = createHmac('sha256', key).update(len).update(l).update(password, 'utf8').digest().subarray(0, 16).toString('base64url');
  return MARK_PREFIX + mac;
}

const MARK_PREFIX = 'u1.';

/** A mark made by upstreamPasswordMark (a users-file mark is plain base64url: src/users/password-hash.ts). */
export function isUpstreamPasswordMark(mark: string | undefined): boolean {
  return mark?.startsWith(MARK_PREFIX) === true;
}
