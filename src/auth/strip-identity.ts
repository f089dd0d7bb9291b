import type { IncomingHttpHeaders } from 'node:http';

/** Header names compare after lowercasing and mapping `_` to `-`, so `X_Highlight_User_Id` is caught too. */
export function normalizeHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/**
 * Builds the step that removes every header of the identity namespace from a request, whatever
 * its auth: the upstream must only ever see identity the gateway itself set (STYLE habit 8).
 * Node has already folded duplicates into one lowercase key, so one delete removes them all.
 * `underscoreSpellingsOf` names headers whose proper spelling another step owns (the forwarding
 * headers) but whose `_` spelling nobody sends in good faith: only that spelling is removed.
 */
export function createIdentityStripper(names: readonly string[], underscoreSpellingsOf: readonly string[] = []): (headers: IncomingHttpHeaders) => void {
  const namespace = new Set(names.map(normalizeHeaderName));
  const underscored = new Set([...namespace, ...underscoreSpellingsOf.map(normalizeHeaderName)]);
  return function stripIdentity(headers) {
    for (const key in headers) {
      if (namespace.has(key) || (key.includes('_') && underscored.has(key.replace(/_/g, '-')))) delete headers[key];
    }
  };
}
