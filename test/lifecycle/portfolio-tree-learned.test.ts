import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEnvelope } from '../../src/token/envelope.js';
import { DEFAULT_TOKEN_PREFIX } from '../../src/token/format.js';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, type DemoUser } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { TREE_POINTERS, treeDirectory } from '../support/tree-directory.js';
import { startGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

/**
 * The portfolio tree taught by the upstream probe: the directory answers each user's
 * company with its ancestors (root first, `/company/ancestors`). Two portfolios, `hold` (with `emea`,
 * `emea-fr` below it, and `apac`) and `other`.
 */
const U = {
  rita: { login: 'rita@hold.example', password: 'rita-Pw-1!', userId: 'r-1', companyId: 'hold', roles: ['portfolioManager'] },
  eve: { login: 'eve@hold.example', password: 'eve-Pw-2!', userId: 'e-1', companyId: 'emea', roles: ['portfolioManager'] },
  fred: { login: 'fred@hold.example', password: 'fred-Pw-3!', userId: 'f-1', companyId: 'emea-fr', roles: [] },
  amy: { login: 'amy@hold.example', password: 'amy-Pw-4!', userId: 'a-1', companyId: 'apac', roles: [] },
  otto: { login: 'otto@other.example', password: 'otto-Pw-5!', userId: 'o-1', companyId: 'other', roles: ['portfolioManager'] },
} satisfies Record<string, DemoUser>;

const INITIAL_ANCESTORS: Record<string, unknown> = { hold: [], emea: ['hold'], 'emea-fr': ['hold', 'emea'], apac: ['hold'], other: [] };

interface AuditPage { events: { id: number; company_id: string; action: string; detail: Record<string, unknown> }[]; next_cursor: string | null }
interface TokenList { tokens: { token_id: string; status: string; revoked_reason: string | null }[] }

describe.each(STORE_FACTORIES)('the portfolio tree from the upstream probe ($name store)', (factory) => {
  let directory: RecordingUpstream;
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let g: LifecycleGateway;
  /** What the directory answers as each company's ancestors (any JSON value). */
  let ancestors: Record<string, unknown>;

  beforeEach(async () => {
    ancestors = { ...INITIAL_ANCESTORS };
    directory = new RecordingUpstream();
    directory.respond = treeDirectory(U, () => ancestors);
    await directory.start();
    fresh = await freshStore(factory);
    const t = await startGateway({
      upstreamUrl: directory.url, store: fresh.store, clock: new FakeClock(),
      config: {
        users: {
          source: 'upstream', path: '/WS2/me', cacheSeconds: 0,
          pointers: TREE_POINTERS,
        },
        portfolios: { allowed: ['hold', 'other'] },
      },
    });
    g = new LifecycleGateway(t);
  });
  afterEach(async () => {
    await g.close();
    await fresh.close();
    await directory.stop();
  });

  const listed = async (as: DemoUser) => (await g.request('GET', '/auth/tokens', { as })).json<TokenList>().tokens;

  it('a sign-in places the company: its tokens are sealed for the root, the upstream sees company and portfolio', async () => {
    await g.enable(U.rita);
    const fr = await g.issue(U.fred);
    // The token's readable company id (its envelope, src/token/envelope.ts): the company, sealed under the root's key.
    expect(readEnvelope(fr.access_token, DEFAULT_TOKEN_PREFIX)?.companyId).toBe('emea-fr');
    expect((await g.useToken(fr.access_token)).status).toBe(200);
    expect(directory.last!.headers['x-highlight-company-id']).toBe('emea-fr');
    expect(directory.last!.headers['x-highlight-portfolio-id']).toBe('hold');
    const edges = (await fresh.store.listCompanyEdges()).map((e) => [e.companyId, e.parent]).sort();
    // `hold` was unknown, hence already a root: written all the same, so that it is recorded as the probe's.
    expect(edges).toEqual([['emea', 'hold'], ['emea-fr', 'emea'], ['hold', null]]);
    expect(new Set((await fresh.store.listCompanyEdges()).map((e) => e.placedBy))).toEqual(new Set(['upstream']));
  });

  it('a sub-company manager is refused on the policy and sees only their sub-tree; the root manager sees all', async () => {
    await g.enable(U.rita);
    const fr = await g.issue(U.fred);
    const ap = await g.issue(U.amy);
    expect((await g.setPolicy(U.eve, { durationMinutes: 5 })).status).toBe(403);
    expect((await g.setPolicy(U.eve, { durationMinutes: 5 }, 'hold')).status).toBe(403);
    expect((await g.request('GET', '/auth/portfolios/emea/token-policy', { as: U.eve })).status).toBe(403);
    expect((await listed(U.eve)).map((t) => t.token_id)).toEqual([fr.token_id]);
    expect((await listed(U.rita)).map((t) => t.token_id).sort()).toEqual([fr.token_id, ap.token_id].sort());
    expect((await g.request('DELETE', `/auth/tokens/${ap.token_id}`, { as: U.eve })).status).toBe(404);
  });

  it("the root manager's audit includes every company of the portfolio, each event with its company; a sub-company manager's only their sub-tree", async () => {
    await g.enable(U.rita);
    await g.issue(U.fred);
    await g.issue(U.amy);
    await g.issue(U.eve);
    const all = (await g.request('GET', '/auth/portfolios/hold/audit', { as: U.rita })).json<AuditPage>();
    expect(all.events.map((e) => `${e.company_id} ${e.action}`).sort()).toEqual(['apac token.issue', 'emea token.issue', 'emea-fr token.issue', 'hold policy.update']);
    expect(all.next_cursor).toBeNull();

    const sub = (await g.request('GET', '/auth/portfolios/emea/audit', { as: U.eve })).json<AuditPage>();
    expect(sub.events.map((e) => e.company_id).sort()).toEqual(['emea', 'emea-fr']);
    expect((await g.request('GET', '/auth/portfolios/hold/audit', { as: U.eve })).status).toBe(403);

    // One event a page: the same events, each once, newest first.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: AuditPage = (await g.request('GET', `/auth/portfolios/hold/audit?limit=1${q}`, { as: U.rita })).json<AuditPage>();
      paged.push(...page.events.map((e) => `${e.company_id}#${e.id}`));
      cursor = page.next_cursor;
    } while (cursor !== null && paged.length < 10);
    expect(paged).toEqual(all.events.map((e) => `${e.company_id}#${e.id}`));
    expect((await g.request('GET', '/auth/portfolios/hold/audit?cursor=hold.x', { as: U.rita })).status).toBe(400);
  });

  it('a sign-in that moves a company to another root revokes its tokens (reparented), cached ones included', async () => {
    await g.enable(U.rita);
    await g.enable(U.otto);
    const fr = await g.issue(U.fred);
    const ap = await g.issue(U.amy);
    expect((await g.useToken(fr.access_token)).status).toBe(200); // now in the verified-token cache

    ancestors = { ...ancestors, emea: ['other'], 'emea-fr': ['other', 'emea'] };
    expect((await g.request('GET', '/auth/tokens', { as: U.eve })).status).toBe(200); // eve's sign-in teaches emea → other

    const refused = await g.useToken(fr.access_token);
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'token_revoked' });
    expect((await g.useToken(ap.access_token)).status).toBe(200);
    expect((await listed(U.rita)).map((t) => t.token_id)).toEqual([ap.token_id]);
    expect(await listed(U.otto)).toEqual([expect.objectContaining({ token_id: fr.token_id, status: 'revoked', revoked_reason: 'reparented' })]);

    const audit = (await g.request('GET', '/auth/portfolios/other/audit', { as: U.otto })).json<AuditPage>();
    expect(audit.events.filter((e) => e.action === 'company.reparent').map((e) => [e.company_id, e.detail.from, e.detail.to]).sort())
      .toEqual([['emea', 'hold', 'other'], ['emea-fr', 'hold', 'other']]);
    expect(audit.events).toContainEqual(expect.objectContaining({ company_id: 'emea-fr', action: 'token.revoke', detail: expect.objectContaining({ tokenId: fr.token_id, reason: 'reparented' }) }));

    // A new token is sealed for the new root.
    const again = await g.issue(U.fred);
    expect((await g.useToken(again.access_token)).status).toBe(200);
    expect(directory.last!.headers['x-highlight-portfolio-id']).toBe('other');
  });

  it('a cached token stops at the next hit once its company resolves to another root, before any revocation arrives', async () => {
    await g.enable(U.rita);
    await g.enable(U.otto);
    const fr = await g.issue(U.fred);
    expect((await g.useToken(fr.access_token)).status).toBe(200);
    // As another instance's write arrives: the edge alone, its revocations still on their way.
    g.t.gw.sync.apply({ kind: 'company', edges: [{ companyId: 'emea', parent: 'other', version: Number.MAX_SAFE_INTEGER, updatedAt: 0 }] });
    expect(g.t.gw.state.isRevoked(fr.token_id)).toBe(false);
    expect((await g.useToken(fr.access_token)).json()).toMatchObject({ code: 'token_revoked' });
  });

  it.each([
    ['names its own company (a cycle)', ['hold', 'emea-fr'], /names a company twice/],
    ['names a company twice', ['hold', 'emea', 'hold'], /names a company twice/],
    ['is deeper than 16', Array.from({ length: 17 }, (_, i) => `level-${i}`), /more than 16 ancestors/],
    ['is not a list', 'hold/emea', /not a list of company ids/],
    ['holds something that is not a company id', ['hold', 'emea corp!'], /not a company id/],
  ])('an answer whose ancestors %s is refused with a clear error, nothing learned', async (_name, bad, reason) => {
    ancestors = { ...ancestors, 'emea-fr': bad };
    const r = await g.request('POST', '/auth/oauth/authorize', { as: U.fred });
    expect(r.status).toBe(502);
    expect(r.json<{ code: string; error_description: string }>()).toMatchObject({ code: 'user_source_unavailable', error_description: expect.stringMatching(reason) });
    expect(await fresh.store.listCompanyEdges()).toEqual([]);
    expect(g.t.gw.state.portfolioIdOf('emea-fr')).toBe('emea-fr');
  });
});

