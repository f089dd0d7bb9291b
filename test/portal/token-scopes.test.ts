import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { PortalClient, type PortalSession } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

const SCOPES = { upload: [{ methods: ['POST'], paths: ['/api/uploads/**'] }] };

/**
 * `GET {prefix}/ui/api/token-scopes`, what the Named tokens form offers: the known scopes (built-in
 * first, then tokens.scopes) narrowed by the policy's allowedScopes, and the policy's duration;
 * a session is needed. Every answer is checked against the OpenAPI document (PortalClient).
 */
describe('the portal\'s token scope choices (sqlite store)', () => {
  const upstream = new RecordingUpstream();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let g: LifecycleGateway;
  let portal: PortalClient;
  let alice: PortalSession;

  beforeAll(async () => {
    await upstream.start();
    fresh = await freshStore(STORE_FACTORIES[0]!);
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store: fresh.store, clock: new FakeClock(), config: { tokens: { scopes: SCOPES } } });
    await g.enable(USERS.manager, 600);
    portal = new PortalClient(g.url);
    alice = await portal.signIn(USERS.alice.login, USERS.alice.password);
  });
  afterAll(async () => {
    await g?.close();
    await fresh?.close();
    await upstream.stop();
  });

  it('every known scope and the policy\'s duration; then only what allowedScopes keeps', async () => {
    const all = await portal.request('GET', 'token-scopes', { session: alice });
    expect(all.status).toBe(200);
    expect(all.json()).toEqual({ scopes: ['read', 'full', 'upload'], maxMinutes: 600 });
    expect((await g.setPolicy(USERS.manager, { allowedScopes: ['read', 'upload'] })).status).toBe(200);
    expect((await portal.request('GET', 'token-scopes', { session: alice })).json()).toEqual({ scopes: ['read', 'upload'], maxMinutes: 600 });
  });

  it('without a session: 401 session_required', async () => {
    const r = await portal.request('GET', 'token-scopes');
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ code: 'session_required' });
  });
});
