import type { EndpointHandler } from './context.js';

/**
 * `GET {prefix}/.well-known/jwks.json`: the public keys that verify identity assertions
 * (RFC 7517 §5), served by every instance from the shared key set. Public, no credential:
 * verifiers (the API) fetch it. A short cache: a rotation publishes the next key before it signs.
 */
export function jwksEndpoint(body: () => Buffer): EndpointHandler {
  return async ({ res }) => {
    const b = body();
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'content-length': String(b.length), 'cache-control': 'public, max-age=60' });
    res.end(b);
  };
}
