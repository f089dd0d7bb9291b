import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { TOKEN_RUN, redactPath } from '../../src/secrets/redact-url.js';
import { BODY_MIN_CHARS } from '../../src/token/envelope.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * A token pasted into a URL must not reach the logs through any line that names the path: the
 * access log, the debug line of a rejection, an endpoint failure. All of them log the path through
 * one function (redactPath); this test reads every line the gateway wrote at debug level.
 */
describe('a token in the URL never reaches a log line', () => {
  const upstream = new RecordingUpstream();
  let t: TestGateway;
  let token: string;

  beforeAll(async () => {
    await upstream.start();
    t = await startGateway({ upstreamUrl: upstream.url, config: { log: { level: 'debug', access: 'all' } } });
    token = (await enableAndIssue(t)).token;
  });
  afterAll(async () => {
    await t?.close();
    await upstream.stop();
  });

  /** The token, and its body without the prefix and checksum. */
  const secrets = () => [token, token.slice(5, -6)];

  it.each([
    ['in the path, with a malformed Bearer (rejected)', () => `/x/${token}/y`, { authorization: 'Bearer bad!' }],
    ['in the path, prefix and checksum cut off, rejected', () => `/x/${token.slice(5, -6)}`, { authorization: 'Bearer bad!' }],
    ['in the path, forwarded', () => `/x/${token}`, {}],
    ['in the query (refused as a token in the URL)', () => `/x?access_token=${token}`, {}],
    ['in the path and the query', () => `/${token}?access-token=${token}`, {}],
  ])('%s', async (_n, path, headers) => {
    const before = t.logs.length;
    const r = await call(t.url, path(), { headers });
    expect(r.status).toBeGreaterThan(0);
    const lines = t.logs.slice(before).join('\n');
    expect(lines).toMatch(/"path":"[^"]*\[token\]|"path":"\/x"/);
    for (const s of secrets()) expect(lines).not.toContain(s);
  });

  it('a rejection is logged at debug, with the path redacted', async () => {
    const before = t.logs.length;
    await call(t.url, `/x/${token}`, { headers: { authorization: 'Bearer bad!' } });
    const lines = t.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request rejected', path: '/x/[token]' }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'access', path: '/x/[token]' }));
  });
});

describe('the redaction of a token-shaped run holds for the shortest token', () => {
  it('takes every run of TOKEN_RUN characters for a token, and no token body is shorter', () => {
    expect(TOKEN_RUN).toBeLessThanOrEqual(BODY_MIN_CHARS);
    expect(redactPath(`/x/${'a'.repeat(TOKEN_RUN)}`)).toBe('/x/[token]');
    expect(redactPath(`/x/${'a'.repeat(TOKEN_RUN - 1)}`)).toBe(`/x/${'a'.repeat(TOKEN_RUN - 1)}`);
  });
});
