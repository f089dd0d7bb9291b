import type { IncomingHttpHeaders } from 'node:http';

/** Header names compare after lowercasing and mapping `_` to `-`, so `X_Highlight_User_Id` is caught too. */
export function normalizeHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/**
 * Builds the step that removes every header of the identity namespace from a request, whatever
 * its auth: the upstream must only ever see identity the gateway itself set (STYLE habit 8).
 * Node has already folded duplicates into one lowercase key, so one delete removes them all.
 */
export function createIdentityStripper(names: readonly string[]): (headers: IncomingHttpHeaders) => void {
  const namespace = new Set(names.map(normalizeHeaderName));
  return function stripIdentity(headers) {
    for (const key in headers) {
      if (namespace.has(key) || (key.includes('_') && namespace.has(key.replace(/_/g, '-')))) delete headers[key];
    }
  };
}
