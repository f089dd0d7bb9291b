import type { IncomingHttpHeaders } from 'node:http';
import { AssertionIdentity } from './assertion-mode.js';
import { ReplayedCredential } from './basic-mode.js';
import type { HeaderList } from './headers-mode.js';

/**
 * What the upstream gets instead of the client's Bearer token, built once per verified token and
 * cached with it: `headers` mode's flat `[name, value, name, value, ...]` array (half the memory
 * of pairs), `basic` mode's replayed credential, or an assertion re-signed as it ages.
 */
export type UpstreamIdentity = HeaderList | ReplayedCredential | AssertionIdentity;

export type UpstreamMode = 'basic' | 'headers' | 'assertion';

/**
 * Step 7 of the request path: the client's Authorization goes (or becomes the configured service
 * credential), then what the mode prepared is set. Strip ran before (step 3): nothing the client
 * sent under these names survives.
 */
export function createUpstreamInjector(serviceAuthorization: string | undefined, now: () => number) {
  return function injectIdentity(headers: IncomingHttpHeaders, identity: UpstreamIdentity): void {
    // Assigned, never `delete`d: a delete turns req.headers into a hash table, slower for every
    // later step and for the forwarder's copy (src/http/forwarded-headers.ts says why; undici skips
    // an undefined value, the http-proxy forwarder drops it).
    if (serviceAuthorization !== undefined) headers.authorization = serviceAuthorization;
    else if (headers.authorization !== undefined) headers.authorization = undefined;
    if (identity instanceof ReplayedCredential) {
      headers.authorization = identity.authorization;
      return;
    }
    if (identity instanceof AssertionIdentity) {
      headers[identity.headerName] = identity.current(now());
      return;
    }
    for (let i = 0; i < identity.length; i += 2) headers[identity[i]!] = identity[i + 1];
  };
}
