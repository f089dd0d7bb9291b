// The rows of the table: what each one sends, to which server, and what it expects.
// `target` names a server started by the bench; `tokens` names a token set from the seed.

export const ROWS = [
  { name: 'direct', target: 'upstream', what: 'the upstream itself, no proxy' },
  { name: 'bare-http-proxy', target: 'bareHttpProxy', what: 'http-proxy 1.18, keep-alive Agent (128 sockets, lifo), no auth' },
  { name: 'bare-undici', target: 'bareUndici', what: 'node:http + undici Pool.dispatch (128 connections, pipelining 1), no auth' },
  // Floors: bare-undici adding, as constants, the headers the gateway must add (no gateway logic).
  { name: 'bare-undici+headers', target: 'bareUndiciHeaders', what: 'bare-undici adding X-Forwarded-For/-Proto/-Host and a new X-Request-Id, echoed on the response: the floor of gateway-anonymous' },
  { name: 'bare-undici+identity', target: 'bareUndiciIdentity', what: 'bare-undici+headers, sent the hot row\'s Bearer token, removing it and adding the seven identity headers of identity.upstream: headers: the floor of the bearer rows', tokens: 'hot' },
  { name: 'bare-http-proxy+identity', target: 'bareHttpProxyIdentity', what: 'bare-http-proxy with the headers of bare-undici+identity (same token sent): the floor of gateway-bearer-hot@http-proxy', tokens: 'hot' },
  { name: 'gateway-anonymous', target: 'gw', what: 'no Authorization header' },
  { name: 'gateway-basic', target: 'gw', what: 'Basic credentials, forwarded untouched', headers: { authorization: 'Basic YmVuY2hAZXhhbXBsZS5jb206c2VjcmV0' } },
  { name: 'gateway-bearer-hot', target: 'gw', what: 'one valid token (cache hit)', tokens: 'hot' },
  { name: 'gateway-bearer-hot-scoped', target: 'gw', what: 'bearer-hot with a named token scoped to `bench` (GET /bench only): the scope check on every request', tokens: 'scopedHot' },
  { name: 'gateway-bearer-10k', target: 'gw', what: '10,000 distinct valid tokens cycling, all cached (primed before round 1)', tokens: 'tenK' },
  { name: 'gateway-bearer-cold', target: 'gwCold', what: '20,000 distinct valid tokens cycling through a 1,000-entry cache: every request misses and is fully verified', tokens: 'cold' },
  { name: 'gateway-invalid', target: 'gw', what: '100 well-formed tokens sealed with a wrong key (bad seal), 401 without the upstream', tokens: 'forged', expect: 401 },
  { name: 'gateway-revoked', target: 'gw', what: '100 revoked tokens, 401 without the upstream', tokens: 'revoked', expect: 401 },
  { name: 'gateway-bearer-hot+access-log', target: 'gwAccessLog', what: 'bearer-hot with log.access: all (one JSON line per request, to a file)', tokens: 'hot' },
  { name: 'gateway-bearer-hot+tracing', target: 'gwTracing', what: 'bearer-hot with tracing on, every request sampled (sampleRatio 1): 3 spans each, batched to an OTLP/HTTP sink answering 200', tokens: 'hot' },
  { name: 'gateway-bearer-hot@http-proxy', target: 'gwHttpProxy', what: 'bearer-hot on the non-default forwarder (upstream.client: http-proxy)', tokens: 'hot' },
  // What the upstream gets (identity.upstream). bearer-hot/cold above are `headers`, the default.
  { name: 'gateway-bearer-hot@basic', target: 'gwBasic', what: 'bearer-hot, identity.upstream: basic (the user\'s own Basic replayed, decrypted once per token)', tokens: 'basicHot' },
  { name: 'gateway-bearer-cold@basic', target: 'gwBasicCold', what: 'bearer-cold, identity.upstream: basic (every request opens the token and its sealed credential)', tokens: 'basicCold' },
  { name: 'gateway-bearer-hot@assertion', target: 'gwAssertion', what: 'bearer-hot, identity.upstream: assertion (ES256 JWT cached with the token, re-signed at half life)', tokens: 'hot' },
  { name: 'gateway-bearer-cold@assertion', target: 'gwAssertionCold', what: 'bearer-cold, identity.upstream: assertion (every request signs a new assertion)', tokens: 'cold' },
  // The decision mode: nginx forwards, hlgw answers its auth_request (deploy/nginx/hlgw.conf as shipped, its access log on).
  { name: 'nginx-bare', target: 'nginxBare', what: 'nginx 1 worker, keep-alive proxy_pass, no auth (bench/servers/nginx-bare.conf)' },
  { name: 'nginx-decision-bearer-hot', target: 'nginxDecision', what: 'bearer-hot through nginx + hlgw in decision mode (auth_request to {prefix}/verify); CPU § is nginx + gateway', tokens: 'hot' },
  { name: 'gateway-workers-2', target: 'gwWorkers', what: 'bearer-hot with server.workers: 2 (2 cores shared with the load generator)', tokens: 'hot' },
];

export const ROW_NAMES = ROWS.map((r) => r.name);

/** Gateway children by target name. cacheMaxEntries 1000 on the cold child makes every request of a 20k cycle a miss. */
export const GATEWAYS = {
  gw: { name: 'gateway', client: 'undici', cacheMaxEntries: 100_000 },
  gwCold: { name: 'gateway-cold', client: 'undici', cacheMaxEntries: 1_000 },
  gwAccessLog: { name: 'gateway-access-log', client: 'undici', cacheMaxEntries: 100_000, log: { access: 'all' } },
  gwTracing: { name: 'gateway-tracing', client: 'undici', cacheMaxEntries: 100_000, tracing: { sampleRatio: 1 } },
  gwHttpProxy: { name: 'gateway-http-proxy', client: 'http-proxy', cacheMaxEntries: 100_000 },
  gwBasic: { name: 'gateway-basic-mode', client: 'undici', cacheMaxEntries: 100_000, identity: { upstream: 'basic' } },
  gwBasicCold: { name: 'gateway-basic-mode-cold', client: 'undici', cacheMaxEntries: 1_000, identity: { upstream: 'basic' } },
  gwAssertion: { name: 'gateway-assertion', client: 'undici', cacheMaxEntries: 100_000, identity: { upstream: 'assertion' } },
  gwAssertionCold: { name: 'gateway-assertion-cold', client: 'undici', cacheMaxEntries: 1_000, identity: { upstream: 'assertion' } },
  // The decision mode's gateway: nginx on loopback is a trusted proxy (its X-Original-* are believed).
  gwDecision: { name: 'gateway-decision', client: 'undici', cacheMaxEntries: 100_000, server: { trustedProxies: ['127.0.0.1'] } },
  gwWorkers: { name: 'gateway-workers-2', client: 'undici', cacheMaxEntries: 100_000, workers: 2 },
};

export const TOKEN_COUNTS = { tenK: 10_000, cold: 20_000, revoked: 100, forged: 100, memory: 100_000 };

/** Slices of the seeded valid tokens: 10k for bearer-10k, the next 20k for cold; memory reuses them from 0 (its own child). */
export function tokenSets(seeded) {
  const { valid, revoked, forged, basic = [], scoped = [] } = seeded;
  return {
    // Tokens issued in basic mode (a sealed credential in the row, its key in the token).
    basicHot: basic.slice(0, 1),
    basicCold: basic.slice(1, 1 + TOKEN_COUNTS.cold),
    hot: [valid[0]],
    scopedHot: scoped.slice(0, 1),
    tenK: valid.slice(0, TOKEN_COUNTS.tenK),
    cold: valid.slice(TOKEN_COUNTS.tenK, TOKEN_COUNTS.tenK + TOKEN_COUNTS.cold),
    revoked,
    forged,
    memory: valid.slice(0, TOKEN_COUNTS.memory),
  };
}
