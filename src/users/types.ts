import type { CompanyTree } from './company-tree.js';

/** Who a verified Basic credential (or a Bearer token) belongs to. */
export interface UserIdentity {
  userId: string;
  login: string;
  companyId: string;
  roles: readonly string[];
  /**
   * Where the company sits, when the source tells (the upstream probe's pointer, an SSO
   * claim): company ids from the root down to the direct parent, empty for a root, checked by
   * readAncestors (src/users/ancestors.ts). Absent: the source says nothing and nothing is learned.
   */
  ancestors?: readonly string[];
  /** The users file's sign-ins: a fingerprint of the password hash (passwordMark), bound into portal sessions. */
  passwordMark?: string;
}

/**
 * What the source says about a login now, without a password: how a portal session is checked on
 * every use (src/portal/session-binding.ts). `listed`: the users file's entry; `absent`: the file
 * has no such login; `unknowable`: the source cannot tell without the password (upstream, none).
 */
export type UserStanding =
  | { kind: 'listed'; userId: string; companyId: string; roles: readonly string[]; passwordMark: string }
  | { kind: 'absent' }
  | { kind: 'unknowable' };

/**
 * Checks Basic credentials for the gateway's own endpoints (never on the proxy path).
 * `verify` resolves `undefined` for wrong credentials and throws GatewayError
 * `user_source_unavailable` when it cannot tell.
 */
export interface UserSource {
  readonly kind: 'file' | 'upstream' | 'none';
  /** The company tree (the users file's `companies`); absent = every company is its own portfolio. */
  readonly tree?: CompanyTree;
  verify(login: string, password: string): Promise<UserIdentity | undefined>;
  /**
   * The current roles of a Bearer caller, when the source can tell without a password
   * (the file can; the upstream cannot, so Bearer callers are plain users there).
   */
  rolesOf(userId: string, login: string, companyId: string): readonly string[];
  /** The login's current entry, when the source keeps a list (the file); see UserStanding. */
  standingOf(login: string): UserStanding;
  close(): void;
}
