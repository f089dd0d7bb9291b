import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIdentityStripper, normalizeHeaderName } from '../../src/auth/strip-identity.js';
import { createForwardedHeaders, FORWARDING_HEADERS } from '../../src/http/forwarded-headers.js';

const IDENTITY = ['x-highlight-user-id', 'x-highlight-login', 'x-highlight-company-id', 'x-highlight-token-id', 'x-highlight-auth-method'];
const TRUSTED = ['10.0.0.1'];
const UPSTREAM_HOST = 'upstream.internal:8080';

/** Header names as Node delivers them (lowercased), in their `-` and `_` spellings, plus noise. */
const spoofable = [...FORWARDING_HEADERS, ...IDENTITY];
const name = fc.oneof(
  fc.constantFrom(...spoofable),
  fc.constantFrom(...spoofable).chain((n) => fc.array(fc.boolean(), { minLength: n.length, maxLength: n.length })
    .map((u) => [...n].map((c, i) => (c === '-' && u[i] ? '_' : c)).join(''))),
  fc.constantFrom('host', 'connection', 'authorization', 'x-request-id', 'keep-alive', 'te', 'content-type'),
  fc.stringMatching(/^[a-z0-9_-]{1,20}$/),
);
const value = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.constant('evil.example'));
/** A Connection value naming some of the headers (or host). */
const connection = fc.array(fc.oneof(name, fc.constant('host'), fc.constant('close')), { maxLength: 4 }).map((ns) => ns.join(', '));
const headerSet = fc.tuple(fc.dictionary(name, value, { maxKeys: 12 }), fc.option(connection, { nil: undefined }))
  .map(([h, c]) => (c === undefined ? h : { ...h, connection: c }));
const peer = fc.constantFrom('203.0.113.9', '::1', '::ffff:198.51.100.4', '10.0.0.2');

/** Steps 3 and 4 of the hot path, built as createGateway builds them. */
function rewrite(headers: Record<string, string>, remoteAddress: string, preserveHost: boolean): IncomingMessage['headers'] {
  const strip = createIdentityStripper(IDENTITY, FORWARDING_HEADERS);
  const setForwarded = createForwardedHeaders({ trustedProxies: TRUSTED, upstreamHost: preserveHost ? undefined : UPSTREAM_HOST });
  const req = { headers: { ...headers }, socket: { remoteAddress } } as unknown as IncomingMessage;
  strip(req.headers);
  setForwarded(req);
  return req.headers;
}

describe('forwarding-header rewriting for untrusted peers (properties)', () => {
  it('never throws, and the upstream gets no client-supplied address, host, Forwarded, X-Real-IP or identity', () => {
    fc.assert(fc.property(headerSet, peer, fc.boolean(), (input, remote, preserveHost) => {
      const out = rewrite(input, remote, preserveHost);
      expect(out['x-forwarded-for']).toBe(remote);
      expect(out['x-forwarded-proto']).toBe('http');
      // The request's own Host, or nothing (HTTP/1.0 without Host).
      expect(out['x-forwarded-host']).toBe(input.host);
      expect(out.forwarded).toBeUndefined();
      expect(out['x-real-ip']).toBeUndefined();
      // A header removed on the path holds `undefined` (src/http/forwarded-headers.ts): nothing is sent for it.
      for (const key of Object.keys(out).filter((k) => out[k] !== undefined)) {
        expect(IDENTITY).not.toContain(normalizeHeaderName(key));
        if (key.includes('_')) expect(spoofable).not.toContain(normalizeHeaderName(key));
      }
      expect(out['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      if (!preserveHost) expect(out.host).toBe(UPSTREAM_HOST);
    }), { numRuns: 1000 });
  });

  it('never throws for a trusted proxy either, and keeps its X-Forwarded-For ahead of the hop', () => {
    fc.assert(fc.property(headerSet, (input) => {
      const out = rewrite(input, TRUSTED[0]!, true);
      const listed = (input.connection ?? '').split(',').map((s) => s.trim().toLowerCase());
      const prior = listed.includes('x-forwarded-for') ? undefined : input['x-forwarded-for'];
      expect(out['x-forwarded-for']).toBe(prior ? `${prior}, ${TRUSTED[0]}` : TRUSTED[0]);
    }), { numRuns: 500 });
  });
});
