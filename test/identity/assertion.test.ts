import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotateSigningKeys } from '../../src/identity/signing-keys.js';
import { MasterKey } from '../../src/secrets/master-key.js';
import type { Store } from '../../src/store/types.js';
import { FakeClock } from '../support/fake-clock.js';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

/**
 * `identity.upstream: assertion`: the API verifies a signed identity with jose's
 * createRemoteJWKSet against the running gateway's JWKS, across a key rotation.
 */
describe.each(STORE_FACTORIES.flatMap((f) => (['ES256', 'EdDSA'] as const).map((alg) => ({ factory: f, name: f.name, alg }))))(
  'identity.upstream: assertion ($name store, $alg)', ({ factory, alg }) => {
    let api: RecordingUpstream;
    let fresh: Awaited<ReturnType<typeof freshStore>>;
    let store: Store;
    let t: TestGateway;
    let clock: FakeClock;
    const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');

    beforeEach(async () => {
      api = await new RecordingUpstream().start();
      fresh = await freshStore(factory);
      store = fresh.store;
      clock = new FakeClock();
      t = await startGateway({
        upstreamUrl: api.url, store, masterKey, clock,
        config: { identity: { upstream: 'assertion', assertion: { alg, issuer: 'hlgw-test', overlapSeconds: 600 } } },
      });
    });
    afterEach(async () => {
      await t.close();
      await fresh.close();
      await api.stop();
    });

    const assertionSeen = () => api.last!.headers['x-highlight-identity'] as string;
    const verify = (jwt: string, jwks: ReturnType<typeof createRemoteJWKSet>) =>
      jwtVerify(jwt, jwks, { issuer: 'hlgw-test', audience: new URL(api.url).origin, currentDate: new Date(clock.now()), algorithms: [alg] });

    it('a Bearer request carries a short-lived assertion that verifies against the gateway\'s JWKS, across a rotation', async () => {
      const { token, record } = await enableAndIssue(t);
      const jwks = createRemoteJWKSet(new URL(`${t.url}/auth/.well-known/jwks.json`), { cooldownDuration: 0 });

      expect((await call(t.url, '/WS2/x', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const first = assertionSeen();
      expect(api.last!.headers.authorization).toBeUndefined();
      const { payload, protectedHeader } = await verify(first, jwks);
      expect(payload).toMatchObject({ sub: 'u-42', login: 'alice@acme.example', cid: 'acme', tid: record.tokenId, auth_method: 'bearer', scope: 'full' });
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
      expect(typeof payload.jti).toBe('string');

      // Cached with the token: the same assertion until half its life has passed, then a new one.
      await call(t.url, '/WS2/x', { headers: { authorization: `Bearer ${token}` } });
      expect(assertionSeen()).toBe(first);

      // Rotation: the new key signs at once here (the test reloads the ring), the old one stays published.
      const next = await rotateSigningKeys(store, masterKey, { alg, now: clock.now(), activateAfterMs: 0 });
      await t.gw.signingKeys!.refresh(clock.now());
      clock.advance(31_000);
      await call(t.url, '/WS2/x', { headers: { authorization: `Bearer ${token}` } });
      const second = assertionSeen();
      expect(second).not.toBe(first);
      expect(decodeProtectedHeader(second).kid).toBe(next.kid);
      expect(decodeProtectedHeader(second).kid).not.toBe(protectedHeader.kid);
      await verify(second, jwks); // an unknown kid: jose refetches the JWKS
      await verify(first, jwks); // the retired key is still published (overlap window)

      // After the overlap the retired key leaves the JWKS.
      clock.advance(601_000);
      const set = (await call(t.url, '/auth/.well-known/jwks.json')).json<{ keys: { kid: string }[] }>();
      expect(set.keys.map((k) => k.kid)).toEqual([next.kid]);
    });

    it('a named token\'s scopes are the assertion\'s `scope` claim (space-separated)', async () => {
      await enableAndIssue(t);
      const named = await t.gw.tokens.createNamed({ userId: 'u-42', login: 'alice@acme.example', companyId: 'acme' }, { name: 'ci', scopes: ['read'] });
      const jwks = createRemoteJWKSet(new URL(`${t.url}/auth/.well-known/jwks.json`), { cooldownDuration: 0 });
      expect((await call(t.url, '/WS2/x', { headers: { authorization: `Bearer ${named.token}` } })).status).toBe(200);
      expect((await verify(assertionSeen(), jwks)).payload).toMatchObject({ tid: named.record.tokenId, scope: 'read' });
    });

    it('a client cannot send its own assertion header; private keys are sealed at rest', async () => {
      const { token } = await enableAndIssue(t);
      await call(t.url, '/WS2/x', { headers: { 'x-highlight-identity': 'forged', authorization: 'Basic dTpw' } });
      expect(api.last!.headers['x-highlight-identity']).toBeUndefined();
      await call(t.url, '/WS2/x', { headers: { 'x-highlight-identity': 'forged', authorization: `Bearer ${token}` } });
      expect(assertionSeen()).not.toBe('forged');
      for (const k of await store.listSigningKeys()) {
        expect(k.sealedPrivateKey).toMatch(/^v1\./);
        expect(JSON.parse(k.publicJwk)).not.toHaveProperty('d');
      }
      const set = (await call(t.url, '/auth/.well-known/jwks.json')).json<{ keys: Record<string, unknown>[] }>();
      for (const k of set.keys) expect(k).not.toHaveProperty('d');
    });
  },
);
