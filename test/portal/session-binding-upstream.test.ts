import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { basicOnlyApi, COMPANIES, IDS, PASSWORDS, USERS_UPSTREAM } from '../support/basic-only-api.js';
import { FakeClock } from '../support/fake-clock.js';
import { basic, call } from '../support/http-call.js';
import { PASS_PHRASE } from '../support/lifecycle.js';
import { PortalClient, type PortalSession } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

const ED = 'ed@acme.example';
const ORIGINAL = { password: PASSWORDS[ED]!, id: IDS[ED]!, company: COMPANIES[ED]! };

/** Each way the upstream directory can stop describing the user a portal session was made for. */
const CHANGES = [
  { name: 'moved to another company', change: () => { COMPANIES[ED] = 'globex'; }, reason: 'company changed' },
  { name: 'password changed', change: () => { PASSWORDS[ED] = 'ed-new-secret-9'; }, reason: 'password changed' },
  { name: 'the login answers another user id', change: () => { IDS[ED] = 777; }, reason: 'user id changed' },
];

/**
 * `users.source: upstream`: the directory is asked only with a password, so a portal session of
 * an upstream user is checked whenever that user's password is checked anywhere. Every successful
 * probe (here the API's own `POST /auth/oauth/authorize` with Basic, not a portal sign-in) ends
 * the user's sessions it contradicts, on both stores, and audits the ending; a refused password
 * ends nothing. The session's check at each use is mode-independent (session-binding.test.ts runs
 * it in headers and assertion modes); both modes run here too, as a gateway start is cheap.
 */
describe.each(STORE_FACTORIES.flatMap((f) => (['headers', 'assertion'] as const).map((mode) => ({ factory: f, name: f.name, mode }))))(
  'portal sessions of upstream-directory users follow the probe ($name store, identity $mode)', ({ factory, mode }) => {
    const api = new RecordingUpstream();
    let fresh: Awaited<ReturnType<typeof freshStore>>;
    let store: Store;
    let t: TestGateway;
    let portal: PortalClient;

    beforeAll(async () => {
      api.respond = basicOnlyApi;
      await api.start();
      fresh = await freshStore(factory);
      store = fresh.store;
      t = await startGateway({
        upstreamUrl: api.url, store, clock: new FakeClock(),
        config: {
          users: USERS_UPSTREAM,
          ...(mode === 'assertion' ? { identity: { upstream: 'assertion', assertion: { issuer: 'hlgw-test' } } } : {}),
        },
      });
      portal = new PortalClient(t.url);
      const put = await call(t.url, '/auth/portfolios/acme/token-policy', {
        method: 'PUT', headers: { authorization: basic('dora@acme.example', PASSWORDS['dora@acme.example']!), 'content-type': 'application/json' },
        body: JSON.stringify({ enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 }),
      });
      expect(put.status).toBe(200);
    });
    afterAll(async () => {
      await t?.close();
      await fresh?.close();
      await api.stop();
    });
    beforeEach(() => {
      PASSWORDS[ED] = ORIGINAL.password;
      IDS[ED] = ORIGINAL.id;
      COMPANIES[ED] = ORIGINAL.company;
    });

    const endings = async () => (await store.listAudit('acme', { limit: 200 })).events.filter((e) => e.action === 'session.end');
    const authorize = (password: string) => call(t.url, '/auth/oauth/authorize', { method: 'POST', headers: { authorization: basic(ED, password) } });
    const works = async (s: PortalSession) => (await portal.request('GET', 'session', { session: s })).status;

    it.each(CHANGES)('$name, then a Basic call to /auth: the portal session answers 401 and the ending is audited', async ({ change, reason }) => {
      const s = await portal.signIn(ED, PASSWORDS[ED]!);
      expect(await works(s)).toBe(200);
      const before = (await endings()).length;

      change();
      // Whatever the API then says to the call itself, the probe answered: it is the directory's word now.
      expect([200, 403]).toContain((await authorize(PASSWORDS[ED]!)).status);

      const me = await portal.request('GET', 'session', { session: s });
      expect(me.status).toBe(401);
      expect(me.json()).toMatchObject({ code: 'session_required' });
      expect((await portal.request('POST', 'oauth/authorize', { session: s })).status).toBe(401);
      const audited = await endings();
      expect(audited).toHaveLength(before + 1);
      expect(audited[0]).toMatchObject({ actor: 'system', detail: { userId: String(ORIGINAL.id), login: ED, reason, sessions: 1 } });
    });

    it('a refused password ends nothing (anyone knowing a login could sign its owner out); the right one, unchanged, ends nothing either', async () => {
      const s = await portal.signIn(ED, PASSWORDS[ED]!);
      const before = (await endings()).length;
      expect((await authorize('not-eds-password')).status).toBe(401);
      expect(await works(s)).toBe(200);
      expect((await authorize(PASSWORDS[ED]!)).status).toBe(200);
      expect(await works(s)).toBe(200);
      expect((await portal.request('POST', 'oauth/authorize', { session: s })).status).toBe(200);
      expect(await endings()).toHaveLength(before);
    });

    it('the password is bound as a keyed mark only: never in the store\'s session record nor in a log line', async () => {
      const s = await portal.signIn(ED, PASSWORDS[ED]!);
      const record = (await store.listSessionsOfUser(String(ORIGINAL.id))).find((r) => r.expiresAt > 0 && r.login === ED);
      expect(record?.passwordMark).toMatch(/^u1\.[A-Za-z0-9_-]{22}$/);
      expect(JSON.stringify(record)).not.toContain(ORIGINAL.password);
      expect(t.logs.join('\n')).not.toContain(ORIGINAL.password);
      await portal.request('DELETE', 'session', { session: s });
    });
  },
);
