import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamlProviderConfig } from '../../../src/config/sso-schema.js';
import { MasterKey } from '../../../src/secrets/master-key.js';
import type { Store } from '../../../src/store/types.js';
import { SamlClient } from '../../../src/users/sso/saml-client.js';
import { StoreSeenAssertionIds } from '../../../src/users/sso/seen-assertions.js';
import { FakeClock } from '../../support/fake-clock.js';
import { call } from '../../support/http-call.js';
import { startLifecycleGateway, USERS, usersFilePath, type LifecycleGateway } from '../../support/lifecycle.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { TestSamlIdp } from '../../support/saml-idp.js';
import { STORE_FACTORIES } from '../../support/stores.js';

const PROVIDER = 'acme-saml';
/** Both instances behind one name, as behind a load balancer: the ACS URL and entity id come from publicUrl. */
const PUBLIC = 'http://hl.example.test';
const BASE = `${PUBLIC}/auth/ui/sso/${PROVIDER}`;

/**
 * The SAML sign-in's server-side state is the store's, not a process's: a sign-in
 * started on one instance (or worker) finishes on another, and an assertion accepted by one is
 * refused by every other. Two gateways on one store: two handles on one SQLite file (what two
 * workers have), or two instances on one Redis.
 */
describe.each(STORE_FACTORIES)('SAML sign-in across two gateways on one store: $name', (factory) => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const stores: Store[] = [];
  const idp = new TestSamlIdp({ 'saml-user': { email: 'saml.user@acme.example', company_id: 'acme' } }, () => clock.now());
  let provider: SamlProviderConfig;
  let a: LifecycleGateway;
  let b: LifecycleGateway;
  let dispose: () => Promise<void> = async () => {};

  beforeAll(async () => {
    await upstream.start();
    provider = {
      type: 'saml', name: PROVIDER, displayName: 'Acme SAML', entryPoint: await idp.listen(), idpIssuer: idp.entityId, companies: ['acme'],
      idpCertFile: idp.certFile, publicUrl: PUBLIC, attributes: { userId: 'nameID', login: 'email', companyId: 'company_id', groups: 'groups' },
      managerGroup: 'hl-managers', clockSkewSeconds: 60,
    };
    const location = await factory.prepare();
    dispose = () => location.dispose();
    stores.push(await location.open(), await location.open());
    const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
    const users = { source: 'file', file: await usersFilePath(), sso: { providers: [provider] } };
    const start = (store: Store) => startLifecycleGateway({ upstreamUrl: upstream.url, store, clock, masterKey, config: { users } });
    a = await start(stores[0]!);
    b = await start(stores[1]!);
    await a.enable(USERS.manager);
  });
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await Promise.allSettled(stores.map((s) => s.close()));
    await dispose();
    await idp.close();
    await upstream.stop();
  });

  /** As the browser reaches the load balancer: Host and Origin are the public name, whichever instance answers. */
  const publicHeaders = { host: 'hl.example.test', origin: PUBLIC };

  it('started on A, the Response posted to B signs in; the session then works on A; a replay on A is refused', async () => {
    const started = await call(a.url, `/auth/ui/sso/${PROVIDER}/start`, { headers: { host: 'hl.example.test' } });
    expect(started.status).toBe(303);
    const cookie = String(([] as string[]).concat(started.headers['set-cookie'] ?? [])[0]).split(';')[0]!;
    const req = TestSamlIdp.readRequest(new URL(started.headers.location!));
    expect(req.acsUrl).toBe(`${BASE}/acs`);
    const response = idp.respond(req, 'saml-user');
    const post = (gw: LifecycleGateway) => call(gw.url, `/auth/ui/sso/${PROVIDER}/acs`, {
      method: 'POST', headers: { ...publicHeaders, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: response }).toString(),
    });

    const onB = await post(b);
    expect(onB.status).toBe(303);
    const session = /hlgw_session=([A-Za-z0-9_-]{43})/.exec(String(onB.headers['set-cookie']))![1]!;
    const me = await call(a.url, '/auth/ui/api/session', { headers: { cookie: `hlgw_session=${session}` } });
    expect(me.json()).toMatchObject({ login: 'saml.user@acme.example', signedInWith: PROVIDER });

    const replay = await post(a);
    expect(replay.status).toBe(400);
    expect(replay.text).toMatch(/not started in this browser, was already used/);
  });

  it('the replay cache is shared: an assertion accepted through one store handle is refused through the other', async () => {
    const cert = { entryPoint: provider.entryPoint!, certs: [readFileSync(idp.certFile, 'utf8')] };
    const one = new SamlClient(provider, cert, clock, new StoreSeenAssertionIds(stores[0]!, clock));
    const two = new SamlClient(provider, cert, clock, new StoreSeenAssertionIds(stores[1]!, clock));
    const { pending, url } = await one.start(BASE);
    const answer = new URLSearchParams({ SAMLResponse: idp.respond(TestSamlIdp.readRequest(new URL(url)), 'saml-user') });
    // The same pending sign-in offered twice (as if two processes each held it): only the assertion id stops the second.
    await expect(one.finish(answer, pending)).resolves.toMatchObject({ who: { userId: `${PROVIDER}:saml-user`, companyId: 'acme' } });
    await expect(two.finish(answer, pending)).rejects.toMatchObject({ code: 'sso_failed', detail: 'this assertion was already used (replay)' });
  });
});
