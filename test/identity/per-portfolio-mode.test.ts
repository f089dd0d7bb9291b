import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashPassword } from '../../src/users/password-hash.js';
import { FakeClock } from '../support/fake-clock.js';
import { basic } from '../support/http-call.js';
import { LifecycleGateway, type DemoUser } from '../support/lifecycle.js';
import { PortalClient } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

/**
 * The upstream identity mode, chosen per gateway and overridable per portfolio: one gateway whose default is
 * `headers`, with `holding` (and so its sub-company `emea`) on `basic` and `globex` on
 * `assertion`. Each token reaches the real upstream in its own portfolio's mode, and the
 * basic-only behaviours (upstream 401 → credential_rejected, the portal's password
 * confirmation) apply to basic portfolios only.
 */
const COMPANIES = [
  { id: 'holding', name: 'Holding' },
  { id: 'emea', name: 'EMEA', parent: 'holding' },
  { id: 'globex', name: 'Globex' },
  { id: 'initech', name: 'Initech' },
];
const U = {
  holdingManager: { login: 'hm@h.example', password: 'hm-Pw-1!', userId: 'h-1', companyId: 'holding', roles: ['portfolioManager'] },
  emeaUser: { login: 'eu@h.example', password: 'eu-Pw-2!', userId: 'e-1', companyId: 'emea', roles: [] },
  globexManager: { login: 'gm@g.example', password: 'gm-Pw-3!', userId: 'g-1', companyId: 'globex', roles: ['portfolioManager'] },
  initechManager: { login: 'im@i.example', password: 'im-Pw-4!', userId: 'i-1', companyId: 'initech', roles: ['portfolioManager'] },
} satisfies Record<string, DemoUser>;

describe.each(STORE_FACTORIES)('identity.upstreamByPortfolio ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-modes-'));
  const clock = new FakeClock();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let g: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    fresh = await freshStore(factory);
    const users = await Promise.all(Object.values(U).map(async ({ password, ...u }) => ({ ...u, passwordHash: await hashPassword(password) })));
    writeFileSync(join(dir, 'users.yaml'), stringify({ companies: COMPANIES, users }));
    const t = await startGateway({
      upstreamUrl: upstream.url, store: fresh.store, clock,
      config: {
        users: { source: 'file', file: join(dir, 'users.yaml') },
        portfolios: { allowed: ['holding', 'globex', 'initech'] },
        identity: { upstream: 'headers', upstreamByPortfolio: { holding: 'basic', globex: 'assertion' }, assertion: { issuer: 'hlgw-test' } },
      },
    });
    g = new LifecycleGateway(t);
    for (const m of [U.holdingManager, U.globexManager, U.initechManager]) await g.enable(m);
  });
  afterAll(async () => {
    upstream.respond = undefined;
    await g?.close();
    await fresh?.close();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const identityHeaders = () => Object.keys(upstream.last!.headers).filter((h) => h.startsWith('x-highlight-'));

  it('a sub-company follows its root: emea\'s token replays the user\'s own Basic, with no identity header', async () => {
    const { access_token } = await g.issue(U.emeaUser);
    expect((await g.useToken(access_token)).status).toBe(200);
    expect(upstream.last!.headers.authorization).toBe(basic(U.emeaUser.login, U.emeaUser.password));
    expect(identityHeaders()).toEqual([]);
  });

  it('globex\'s token carries a signed assertion that verifies against the JWKS, and no Authorization', async () => {
    const { access_token, token_id } = await g.issue(U.globexManager);
    expect((await g.useToken(access_token)).status).toBe(200);
    const h = upstream.last!.headers;
    expect(h.authorization).toBeUndefined();
    const jwks = createRemoteJWKSet(new URL(`${g.url}/auth/.well-known/jwks.json`));
    const { payload } = await jwtVerify(String(h['x-highlight-identity']), jwks, {
      issuer: 'hlgw-test', audience: new URL(upstream.url).origin, currentDate: new Date(clock.now()), algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ sub: U.globexManager.userId, cid: 'globex', tid: token_id });
    expect(identityHeaders()).toEqual(['x-highlight-identity']);
  });

  it('a portfolio without an override gets the gateway\'s default (identity headers), and no stored credential', async () => {
    const { access_token, token_id } = await g.issue(U.initechManager);
    expect((await g.useToken(access_token)).status).toBe(200);
    const h = upstream.last!.headers;
    expect(h.authorization).toBeUndefined();
    expect(h['x-highlight-user-id']).toBe(U.initechManager.userId);
    expect(h['x-highlight-portfolio-id']).toBe('initech');
    expect((await fresh.store.getToken(token_id))!.sealedCredential).toBeUndefined();
    expect((await fresh.store.getToken((await g.issue(U.emeaUser)).token_id))!.sealedCredential).toMatch(/^c1\./);
  });

  it('an upstream 401 is "credential changed" for a replayed credential only; other modes pass the API\'s answer through', async () => {
    const headersToken = (await g.issue(U.initechManager)).access_token;
    const basicToken = (await g.issue(U.emeaUser)).access_token;
    upstream.respond = (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="highlight"' });
      res.end('{"error":"unauthorized"}');
    };
    try {
      const passed = await g.useToken(headersToken);
      expect(passed.status).toBe(401);
      expect(passed.headers['www-authenticate']).toBe('Basic realm="highlight"');
      const ours = await g.useToken(basicToken);
      expect(ours.status).toBe(401);
      expect(ours.json()).toMatchObject({ code: 'credential_rejected' });
    } finally {
      upstream.respond = undefined;
    }
  });

  it('the portal asks for the password again only where tokens replay it', async () => {
    const portal = new PortalClient(g.url);
    for (const [u, asks] of [[U.emeaUser, true], [U.initechManager, false], [U.globexManager, false]] as const) {
      const s = await portal.signIn(u.login, u.password);
      const view = await portal.request('GET', 'session', { session: s });
      expect(view.json<{ confirmPassword: boolean }>().confirmPassword).toBe(asks);
      const made = await portal.request('POST', 'oauth/authorize', { session: s, json: {} });
      // Without the password: refused in basic mode, issued elsewhere.
      expect(made.status).toBe(asks ? 400 : 200);
    }
  });
});
