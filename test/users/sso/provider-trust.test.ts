import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/types.js';
import { FakeClock } from '../../support/fake-clock.js';
import type { Reply } from '../../support/http-call.js';
import { LifecycleGateway, USERS, usersFilePath } from '../../support/lifecycle.js';
import { PortalClient } from '../../support/portal-client.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { TestSamlIdp } from '../../support/saml-idp.js';
import { samlPortalSignIn } from '../../support/saml-portal-sign-in.js';
import { startGateway } from '../../support/start-gateway.js';
import { freshStore, STORE_FACTORIES } from '../../support/stores.js';

const MANAGER = 'portfolioManager';
type AuditEvents = { events: { action: string; detail: Record<string, unknown> }[] };

function samlProvider(name: string, idp: TestSamlIdp, entryPoint: string, extra: Record<string, unknown>) {
  return { type: 'saml', name, displayName: name, entryPoint, idpIssuer: idp.entityId, idpCertFile: idp.certFile, attributes: { ancestors: 'ancestors' }, ...extra };
}

function expectRefusedPage(r: Reply, reason: RegExp): void {
  expect(r.status).toBe(400);
  expect(r.text).toContain('<h1>Sign-in refused</h1>');
  expect(r.text).toMatch(reason);
  expect(String(r.headers['set-cookie'])).not.toMatch(/hlgw_session=[^;]/);
}

/**
 * Each identity provider speaks only for the companies the operator gave it
 * (`users.sso.providers[].companies`), cannot move a company another source placed, and its users
 * live in their own namespace. Two real SAML IdPs, the lifecycle suite's users file (acme and
 * globex, neither under `companies:`), on both stores.
 */
describe.each(STORE_FACTORIES)('identity providers speak only for their companies ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const evil = new TestSamlIdp({
    mallory: { email: 'mallory@evil.example', company_id: 'evil', groups: MANAGER },
    // The takeover: globex (a users-file company) placed under a root this IdP's manager holds.
    mover: { email: 'mover@evil.example', company_id: 'globex', ancestors: 'evil' },
    // A company outside this provider's `companies`, with the manager role.
    'acme-claim': { email: 'x@evil.example', company_id: 'acme', groups: MANAGER },
  }, () => clock.now());
  const acmeIdp = new TestSamlIdp({
    // The subject is alice's user id in the users file.
    'u-2': { email: 'alice.sso@acme.example', company_id: 'acme' },
  }, () => clock.now());
  let store: Store;
  let closeStore: () => Promise<void>;
  let g: LifecycleGateway;
  let portal: PortalClient;

  beforeAll(async () => {
    ({ store, close: closeStore } = await freshStore(factory));
    await upstream.start();
    const evilEntry = await evil.listen();
    const acmeEntry = await acmeIdp.listen();
    g = new LifecycleGateway(await startGateway({
      upstreamUrl: upstream.url, store, clock,
      config: {
        users: {
          source: 'file', file: await usersFilePath(),
          sso: { providers: [
            samlProvider('evil-saml', evil, evilEntry, { companies: ['evil/*'] }),
            samlProvider('acme-saml', acmeIdp, acmeEntry, { companies: ['acme/*'] }),
          ] },
        },
        portfolios: { allowed: ['acme', 'globex', 'evil'] },
      },
    }));
    portal = new PortalClient(g.url);
    await g.enable(USERS.manager);
    await g.enable(USERS.globexManager);
  });
  afterAll(async () => {
    await g?.close();
    await evil.close();
    await acmeIdp.close();
    await upstream.stop();
    await closeStore?.();
  });

  const auditOf = async (companyId: string, as = USERS.manager) =>
    (await g.request('GET', `/auth/portfolios/${companyId}/audit`, { as })).json<AuditEvents>().events;

  it('a claim moving a users-file company under another root is refused on a clear page, audited, never applied', async () => {
    const gus = await g.issue(USERS.globexUser);
    const { reply } = await samlPortalSignIn(g.url, 'evil-saml', evil, 'mover');
    expectRefusedPage(reply, /placed by the users file/);

    expect(g.t.gw.state.portfolioIdOf('globex')).toBe('globex');
    expect((await store.listCompanyEdges()).map((e) => e.companyId)).not.toContain('globex');
    expect((await g.useToken(gus.access_token)).status).toBe(200);
    // globex's own manager still manages it.
    expect((await g.setPolicy(USERS.globexManager, { durationMinutes: 30 })).status).toBe(200);
    expect(await auditOf('globex', USERS.globexManager)).toContainEqual(expect.objectContaining({
      action: 'company.claim_refused',
      detail: expect.objectContaining({ source: 'sso:evil-saml', placedBy: 'users file', parent: 'evil' }),
    }));
  });

  it('the attacker\'s manager gets nothing of globex: its policy, tokens and audit stay out of reach', async () => {
    const { session } = await samlPortalSignIn(g.url, 'evil-saml', evil, 'mallory');
    expect(session).toBeDefined();
    expect((await portal.request('PUT', 'portfolios/globex/token-policy', { session, json: { durationMinutes: 1_000_000 } })).status).toBe(403);
    expect((await portal.request('GET', 'portfolios/globex/audit', { session })).status).toBe(403);
    const listed = (await portal.request('GET', 'tokens', { session })).json<{ tokens: { company_id: string }[] }>().tokens;
    expect(listed.filter((t) => t.company_id === 'globex')).toEqual([]);
  });

  it('a company outside the provider\'s `companies` is refused on a clear page and audited in that company', async () => {
    const { reply } = await samlPortalSignIn(g.url, 'evil-saml', evil, 'acme-claim');
    expectRefusedPage(reply, /not trusted for this company/);
    expect(await auditOf('acme')).toContainEqual(expect.objectContaining({
      action: 'company.claim_refused',
      detail: expect.objectContaining({ source: 'sso:evil-saml', reason: 'outside the provider\'s companies' }),
    }));
  });

  it('a subject equal to a password user\'s id is another user: the password user\'s token survives, the upstream sees the namespaced id', async () => {
    const alice = await g.issue(USERS.alice);
    const { session } = await samlPortalSignIn(g.url, 'acme-saml', acmeIdp, 'u-2');
    expect(session).toBeDefined();
    expect((await portal.request('GET', 'session', { session })).json()).toMatchObject({ userId: 'acme-saml:u-2' });
    const mine = (await portal.request('GET', 'tokens', { session })).json<{ tokens: { token_id: string }[] }>().tokens;
    expect(mine.map((t) => t.token_id)).not.toContain(alice.token_id);

    const made = await portal.request('POST', 'oauth/authorize', { session });
    expect(made.status).toBe(200);
    expect((await g.useToken(alice.access_token)).status).toBe(200);
    expect(upstream.last!.headers['x-highlight-user-id']).toBe('u-2');
    expect((await g.useToken(made.json<{ access_token: string }>().access_token)).status).toBe(200);
    expect(upstream.last!.headers['x-highlight-user-id']).toBe('acme-saml:u-2');
  });
});

/**
 * One provider without `companies`: it may speak for any company no other source placed, and never
 * for a company the users file names.
 */
describe('one provider without `companies`', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const idp = new TestSamlIdp({
    newco: { email: 'n@newco.example', company_id: 'newco-eu', ancestors: 'newco' },
    'acme-claim': { email: 'x@idp.example', company_id: 'acme', groups: MANAGER },
    'under-acme': { email: 'y@idp.example', company_id: 'acme-sub', ancestors: 'acme' },
  }, () => clock.now());
  let g: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    const entryPoint = await idp.listen();
    g = new LifecycleGateway(await startGateway({
      upstreamUrl: upstream.url, clock,
      config: { users: { source: 'file', file: await usersFilePath(), sso: { providers: [samlProvider('only-saml', idp, entryPoint, {})] } } },
    }));
  });
  afterAll(async () => {
    await g?.close();
    await idp.close();
    await upstream.stop();
  });

  it('places a company nobody placed', async () => {
    expect((await samlPortalSignIn(g.url, 'only-saml', idp, 'newco')).session).toBeDefined();
    expect(g.t.gw.state.portfolioIdOf('newco-eu')).toBe('newco');
  });

  it.each(['acme-claim', 'under-acme'])('%s: a users-file company (as the user\'s company or an ancestor) is refused', async (account) => {
    expectRefusedPage((await samlPortalSignIn(g.url, 'only-saml', idp, account)).reply, /not trusted for this company/);
    expect(g.t.gw.state.portfolioIdOf('acme-sub')).toBe('acme-sub');
  });
});
