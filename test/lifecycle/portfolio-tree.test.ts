import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvelope } from '../../src/token/envelope.js';
import { DEFAULT_TOKEN_PREFIX } from '../../src/token/format.js';
import { stringify } from 'yaml';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, PASS_PHRASE, type DemoUser } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway } from '../support/start-gateway.js';
import { hashPassword } from '../../src/users/password-hash.js';

/** A portfolio `holding` with two sub-companies, `emea` (with its own `emea-fr` below) and `apac`. */
const COMPANIES = [
  { id: 'holding', name: 'Holding' },
  { id: 'emea', name: 'EMEA', parent: 'holding' },
  { id: 'emea-fr', name: 'EMEA France', parent: 'emea' },
  { id: 'apac', name: 'APAC', parent: 'holding' },
];
const U = {
  root: { login: 'root@h.example', password: 'root-Pw-1!', userId: 'h-1', companyId: 'holding', roles: ['portfolioManager'] },
  emeaManager: { login: 'em@h.example', password: 'em-Pw-2!', userId: 'e-1', companyId: 'emea', roles: ['portfolioManager'] },
  emeaUser: { login: 'eu@h.example', password: 'eu-Pw-3!', userId: 'e-2', companyId: 'emea', roles: [] },
  frUser: { login: 'fr@h.example', password: 'fr-Pw-4!', userId: 'f-1', companyId: 'emea-fr', roles: [] },
  apacUser: { login: 'ap@h.example', password: 'ap-Pw-5!', userId: 'a-1', companyId: 'apac', roles: [] },
} satisfies Record<string, DemoUser>;

/**
 * The portfolio tree, through the /auth API of a real gateway: the root's policy covers
 * every company under it, only a root manager may read or change it, a sub-company manager sees
 * and revokes the tokens of their own branch only, and the upstream learns the portfolio.
 */
describe('the portfolio tree', () => {
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-tree-'));
  const store = new SqliteStore(':memory:');
  let g: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    const users = await Promise.all(Object.values(U).map(async (u) => ({ ...u, password: undefined, passwordHash: await hashPassword(u.password) })));
    writeFileSync(join(dir, 'users.yaml'), stringify({ companies: COMPANIES, users: users.map(({ password: _p, ...u }) => u) }));
    const t = await startGateway({
      upstreamUrl: upstream.url, store, clock: new FakeClock(),
      config: { users: { source: 'file', file: join(dir, 'users.yaml') }, portfolios: { allowed: ['holding'] } },
    });
    g = new LifecycleGateway(t);
  });
  afterAll(async () => {
    await g?.close();
    await store.close();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('only a manager of the root reads or changes the policy', async () => {
    expect((await g.setPolicy(U.emeaManager, { enabled: true, passphrase: PASS_PHRASE })).status).toBe(403);
    expect((await g.setPolicy(U.emeaManager, { enabled: true, passphrase: PASS_PHRASE }, 'holding')).status).toBe(403);
    expect((await g.request('GET', '/auth/portfolios/emea/token-policy', { as: U.emeaManager })).status).toBe(403);
    await g.enable(U.root);
    expect((await g.request('GET', '/auth/portfolios/holding/token-policy', { as: U.root })).json()).toMatchObject({ enabled: true });
  });

  it('users of every company of the tree get tokens sealed for the root; the upstream sees company and portfolio', async () => {
    const fr = await g.issue(U.frUser);
    // The token's readable company id (its envelope, src/token/envelope.ts): the company, sealed under the root's key.
    expect(readEnvelope(fr.access_token, DEFAULT_TOKEN_PREFIX)?.companyId).toBe('emea-fr');
    expect((await g.useToken(fr.access_token)).status).toBe(200);
    const h = upstream.last!.headers;
    expect(h['x-highlight-company-id']).toBe('emea-fr');
    expect(h['x-highlight-portfolio-id']).toBe('holding');
    // A client cannot claim a portfolio: the header is stripped like every identity header.
    await g.useToken(fr.access_token, '/WS2/x');
    const spoofed = await g.request('GET', '/WS2/domains', { headers: { 'x-highlight-portfolio-id': 'other' } });
    expect(spoofed.status).toBe(200);
    expect(upstream.last!.headers['x-highlight-portfolio-id']).toBeUndefined();
  });

  it('a sub-company manager sees and revokes the tokens of their own branch only; the root manager sees all', async () => {
    const emea = await g.issue(U.emeaUser);
    const apac = await g.issue(U.apacUser);
    const fr = await g.issue(U.frUser);
    const seenBy = async (as: DemoUser) =>
      (await g.request('GET', '/auth/tokens', { as })).json<{ tokens: { token_id: string; status: string }[] }>().tokens
        .filter((t) => t.status === 'active').map((t) => t.token_id).sort();
    expect(await seenBy(U.emeaManager)).toEqual([emea.token_id, fr.token_id].sort());
    expect(await seenBy(U.root)).toEqual([emea.token_id, apac.token_id, fr.token_id].sort());

    expect((await g.request('DELETE', `/auth/tokens/${apac.token_id}`, { as: U.emeaManager })).status).toBe(404);
    expect((await g.useToken(apac.access_token)).status).toBe(200);
    expect((await g.request('DELETE', `/auth/tokens/${fr.token_id}`, { as: U.emeaManager })).status).toBe(204);
    expect((await g.useToken(fr.access_token)).status).toBe(401);
    expect((await g.request('DELETE', `/auth/tokens/${apac.token_id}`, { as: U.root })).status).toBe(204);
  });

  it("the root manager's audit holds every company's events, each with its company; a sub-company manager's only their branch", async () => {
    await g.issue(U.apacUser);
    await g.issue(U.frUser);
    type Page = { events: { company_id: string }[] };
    const companies = async (as: DemoUser, c: string) => new Set((await g.request('GET', `/auth/portfolios/${c}/audit?limit=200`, { as })).json<Page>().events.map((e) => e.company_id));
    expect([...await companies(U.root, 'holding')].sort()).toEqual(['apac', 'emea', 'emea-fr', 'holding']);
    expect([...await companies(U.emeaManager, 'emea')].sort()).toEqual(['emea', 'emea-fr']);
  });

  it('the root policy covers the whole tree: a new pass phrase voids every company\'s tokens', async () => {
    const emea = await g.issue(U.emeaUser);
    await g.setPolicy(U.root, { passphrase: `${PASS_PHRASE} again` });
    expect((await g.useToken(emea.access_token)).status).toBe(401);
  });
});
