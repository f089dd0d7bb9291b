import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCredential } from '../../src/identity/replay-credential.js';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { FakeClock } from '../support/fake-clock.js';
import { basic, call } from '../support/http-call.js';
import { PASS_PHRASE } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';
import { basicOnlyApi, PASSWORDS, USERS_UPSTREAM } from '../support/basic-only-api.js';

/**
 * `identity.upstream: basic`, against an API that only understands Basic: a real server
 * on loopback that checks the password on every path, as the real one does. It is also the user
 * directory (users.source: upstream), so authorize verifies against the same passwords.
 */

const FORWARDERS: ForwarderName[] = ['undici', 'http-proxy'];
const CASES = STORE_FACTORIES.flatMap((f) => FORWARDERS.map((forwarder) => ({ factory: f, name: f.name, forwarder })));

describe.each(CASES)('identity.upstream: basic in front of a Basic-only API ($name store, $forwarder)', ({ factory, forwarder }) => {
  let api: RecordingUpstream;
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let t: TestGateway;
  let clock: FakeClock;

  beforeEach(async () => {
    PASSWORDS['ed@acme.example'] = 'ed-secret-2';
    api = new RecordingUpstream();
    api.respond = basicOnlyApi;
    await api.start();
    fresh = await freshStore(factory);
    clock = new FakeClock();
    t = await startGateway({
      upstreamUrl: api.url, store: fresh.store, clock, forwarder,
      config: {
        identity: { upstream: 'basic', rejectedCredentialSeconds: 30 },
        // No user cache: a password changed upstream is seen at once by authorize.
        users: USERS_UPSTREAM,
      },
    });
    const put = await call(t.url, '/auth/portfolios/acme/token-policy', {
      method: 'PUT', headers: { authorization: basic('dora@acme.example', PASSWORDS['dora@acme.example']!), 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 }),
    });
    expect(put.status).toBe(200);
  });
  afterEach(async () => {
    await t.close();
    await fresh.close();
    await api.stop();
  });

  const edBasic = () => basic('ed@acme.example', PASSWORDS['ed@acme.example']!);
  async function authorize(authorization = edBasic()): Promise<{ token: string; id: string }> {
    const r = await call(t.url, '/auth/oauth/authorize', { method: 'POST', headers: { authorization } });
    expect(r.status).toBe(200);
    const j = r.json<{ access_token: string; token_id: string }>();
    return { token: j.access_token, id: j.token_id };
  }
  const bearer = (token: string, path = '/WS2/domains') => call(t.url, path, { headers: { authorization: `Bearer ${token}` } });

  it('Basic and Bearer reach the API as the same user, with the user\'s own Authorization: Basic', async () => {
    const viaBasic = await call(t.url, '/WS2/domains', { headers: { authorization: edBasic() } });
    expect(viaBasic.status).toBe(200);
    const basicSeen = api.last!.headers.authorization;
    const { token } = await authorize();
    const viaBearer = await bearer(token);
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.json()).toEqual({ user: 'ed@acme.example' });
    expect(api.last!.headers.authorization).toBe(basicSeen);
    expect(api.last!.headers.authorization).toBe(edBasic());
    // The API behind stays unchanged: no identity headers, and never the token.
    expect(Object.keys(api.last!.headers).filter((h) => h.startsWith('x-highlight-'))).toEqual([]);
    expect(JSON.stringify(api.last!.headers)).not.toContain(token);
  });

  it('a password changed upstream: 401 "credential changed, renew the token", counted, not replayed for N s; renewing fixes it', async () => {
    const { token } = await authorize();
    expect((await bearer(token)).status).toBe(200);
    PASSWORDS['ed@acme.example'] = 'ed-secret-NEW';

    const refused = await bearer(token);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(refused.headers['www-authenticate']).toContain('error_description="credential changed, renew the token"');
    expect(refused.json()).toMatchObject({ code: 'credential_rejected' });
    const metrics = await (await fetch(`${t.admin}/metrics`)).text();
    expect(metrics).toMatch(/hlgw_token_validations_total\{result="credential_rejected"\} 1/);

    // Negative-cached: the API is not asked again while it lasts...
    const asked = api.requests.length;
    expect((await bearer(token)).json()).toMatchObject({ code: 'credential_rejected' });
    expect(api.requests.length).toBe(asked);
    // ...and is asked again after it (still refused: the old password).
    clock.advance(31_000);
    expect((await bearer(token)).status).toBe(401);
    expect(api.requests.length).toBe(asked + 1);

    const renewed = await authorize(edBasic());
    const ok = await bearer(renewed.token);
    expect(ok.status).toBe(200);
    expect(api.last!.headers.authorization).toBe(basic('ed@acme.example', 'ed-secret-NEW'));
    // The secret never reaches the logs.
    expect(t.logs.join('')).not.toContain('ed-secret');
    expect(t.logs.join('')).not.toContain(edBasic().slice(6));
  });

  it('an API 401 to a Basic request passes through untouched (only replayed credentials are ours to answer)', async () => {
    const r = await call(t.url, '/WS2/domains', { headers: { authorization: basic('ed@acme.example', 'wrong') } });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="highlight"');
  });

  it('revocation is still immediate', async () => {
    const { token, id } = await authorize();
    expect((await bearer(token)).status).toBe(200);
    expect(await t.gw.tokens.revoke(id)).toBe(true);
    const r = await bearer(token);
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ code: 'token_revoked' });
  });

  it('the store holds a ciphertext only: not the password, different per token, unopenable without the token\'s key', async () => {
    const a = await authorize();
    const b = await authorize(); // renewal: same user, same password
    const ra = await fresh.store.getToken(a.id);
    const rb = await fresh.store.getToken(b.id);
    const ca = ra!.sealedCredential!;
    const cb = rb!.sealedCredential!;
    expect(ca).toMatch(/^c1\./);
    for (const c of [ca, cb]) {
      expect(c).not.toContain('ed-secret-2');
      expect(c).not.toContain(edBasic().slice(6));
      expect(c).not.toContain(Buffer.from('ed-secret-2').toString('base64url'));
    }
    expect(ca).not.toBe(cb);
    // The record has no key: neither the token id nor another token's key opens it.
    expect(openCredential(ca, Buffer.alloc(32).toString('base64url'), a.id)).toBeUndefined();
    expect(JSON.stringify(ra)).not.toMatch(/crk|replayKey/);
    // A token without a sealed credential in basic mode: 401 credential_missing (renew with Basic).
    const headersOnly = await t.gw.tokens.issue({ userId: '502', login: 'ed@acme.example', companyId: 'acme' });
    const missing = await bearer(headersOnly.token);
    expect(missing.status).toBe(401);
    expect(missing.json()).toMatchObject({ code: 'credential_missing' });
  });
});
