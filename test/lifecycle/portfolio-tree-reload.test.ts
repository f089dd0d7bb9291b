import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MasterKey } from '../../src/secrets/master-key.js';
import { hashPassword } from '../../src/users/password-hash.js';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, type DemoUser } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

const U = {
  hana: { login: 'hana@h.example', password: 'hana-Pw-1!', userId: 'h-1', companyId: 'holding', roles: ['portfolioManager'] },
  olaf: { login: 'olaf@o.example', password: 'olaf-Pw-2!', userId: 'o-1', companyId: 'other', roles: ['portfolioManager'] },
  emil: { login: 'emil@h.example', password: 'emil-Pw-3!', userId: 'e-1', companyId: 'emea', roles: [] },
  fern: { login: 'fern@h.example', password: 'fern-Pw-4!', userId: 'f-1', companyId: 'emea-fr', roles: [] },
  abby: { login: 'abby@h.example', password: 'abby-Pw-5!', userId: 'a-1', companyId: 'apac', roles: [] },
} satisfies Record<string, DemoUser>;

const tree = (emeaParent: string) => [
  { id: 'holding', name: 'Holding' },
  { id: 'other', name: 'Other' },
  { id: 'emea', name: 'EMEA', parent: emeaParent },
  { id: 'emea-fr', name: 'EMEA France', parent: 'emea' },
  { id: 'apac', name: 'APAC', parent: 'holding' },
];

interface AuditPage { events: { company_id: string; actor: string; action: string; detail: Record<string, unknown> }[] }

/** A users file reloaded (SIGHUP) with a company under another root voids that branch's tokens. */
describe.each(STORE_FACTORIES)('reparenting by a users file reload ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-tree-reload-'));
  const file = join(dir, 'users.yaml');
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let g: LifecycleGateway;
  let users: unknown[];

  beforeAll(async () => {
    await upstream.start();
    users = await Promise.all(Object.values(U).map(async ({ password, ...u }) => ({ ...u, passwordHash: await hashPassword(password) })));
    writeFileSync(file, stringify({ companies: tree('holding'), users }));
    fresh = await freshStore(factory);
    g = new LifecycleGateway(await startGateway({
      upstreamUrl: upstream.url, store: fresh.store, clock: new FakeClock(),
      config: { users: { source: 'file', file }, portfolios: { allowed: ['holding', 'other'] } },
    }));
  });
  afterAll(async () => {
    await g?.close();
    await fresh?.close();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the moved branch\'s tokens are revoked as reparented, cached ones included; the rest keep working', async () => {
    await g.enable(U.hana);
    await g.enable(U.olaf);
    const emea = await g.issue(U.emil);
    const fr = await g.issue(U.fern);
    const ap = await g.issue(U.abby);
    for (const t of [emea, fr, ap]) expect((await g.useToken(t.access_token)).status).toBe(200);

    writeFileSync(file, stringify({ companies: tree('other'), users }));
    await g.t.gw.reload(g.t.config);

    for (const t of [emea, fr]) expect((await g.useToken(t.access_token)).json()).toMatchObject({ code: 'token_revoked' });
    expect((await g.useToken(ap.access_token)).status).toBe(200);
    const listed = (await g.request('GET', '/auth/tokens', { as: U.olaf })).json<{ tokens: { token_id: string; revoked_reason: string | null }[] }>().tokens;
    expect(listed.map((t) => [t.token_id, t.revoked_reason]).sort()).toEqual([[emea.token_id, 'reparented'], [fr.token_id, 'reparented']].sort());

    const audit = (await g.request('GET', '/auth/portfolios/other/audit', { as: U.olaf })).json<AuditPage>();
    expect(audit.events.filter((e) => e.action === 'company.reparent').map((e) => [e.company_id, e.actor, e.detail.cause, e.detail.from, e.detail.revoked]).sort())
      .toEqual([['emea', 'system', 'users file', 'holding', 1], ['emea-fr', 'system', 'users file', 'holding', 1]]);

    // Reloading the same file again moves nothing and records nothing.
    const before = audit.events.length;
    await g.t.gw.reload(g.t.config);
    expect((await g.request('GET', '/auth/portfolios/other/audit', { as: U.olaf })).json<AuditPage>().events).toHaveLength(before);
    const renewed = await g.issue(U.fern);
    expect((await g.useToken(renewed.access_token)).status).toBe(200);
    expect(upstream.last!.headers['x-highlight-portfolio-id']).toBe('other');
  });
});

/**
 * The same move made while no gateway runs: the users file is edited, then the gateway starts.
 * The start-up sweep compares each live token's sealed root (TokenRecord.portfolioId) with the tree.
 */
describe.each(STORE_FACTORIES)('reparenting while stopped: the start-up sweep ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-tree-start-'));
  const file = join(dir, 'users.yaml');
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let users: unknown[];
  // One deployment: every start unseals the pass phrases with the same master key.
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
  const start = async () => new LifecycleGateway(await startGateway({
    upstreamUrl: upstream.url, store: fresh.store, clock: new FakeClock(), masterKey,
    config: { users: { source: 'file', file }, portfolios: { allowed: ['holding', 'other'] } },
  }));

  beforeAll(async () => {
    await upstream.start();
    users = await Promise.all(Object.values(U).map(async ({ password, ...u }) => ({ ...u, passwordHash: await hashPassword(password) })));
    fresh = await freshStore(factory);
  });
  afterAll(async () => {
    await fresh?.close();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('revokes (reparented) and audits the moved branch\'s tokens at the next start, once; a token sealed for the new root stays', async () => {
    writeFileSync(file, stringify({ companies: tree('holding'), users }));
    let g = await start();
    await g.enable(U.hana);
    await g.enable(U.olaf);
    const emea = await g.issue(U.emil);
    const fr = await g.issue(U.fern);
    const ap = await g.issue(U.abby);
    await g.close();

    writeFileSync(file, stringify({ companies: tree('other'), users }));
    g = await start();
    let frNew: Awaited<ReturnType<LifecycleGateway['issue']>>;
    try {
      // Sealed for the old root, they no longer open (invalid seal); the sweep makes it durable and visible.
      for (const t of [emea, fr]) expect((await g.useToken(t.access_token)).status).toBe(401);
      expect((await g.useToken(ap.access_token)).status).toBe(200);
      const listed = (await g.request('GET', '/auth/tokens', { as: U.olaf })).json<{ tokens: { token_id: string; revoked_reason: string | null }[] }>().tokens;
      expect(listed.map((t) => [t.token_id, t.revoked_reason]).sort()).toEqual([[emea.token_id, 'reparented'], [fr.token_id, 'reparented']].sort());
      const audit = (await g.request('GET', '/auth/portfolios/other/audit', { as: U.olaf })).json<AuditPage>();
      expect(audit.events.filter((e) => e.action === 'company.reparent').map((e) => [e.company_id, e.actor, e.detail.cause, e.detail.from, e.detail.to, e.detail.revoked]).sort())
        .toEqual([['emea', 'system', 'users file', 'holding', 'other', 1], ['emea-fr', 'system', 'users file', 'holding', 'other', 1]]);
      expect(audit.events.filter((e) => e.action === 'token.revoke' && e.detail.reason === 'reparented')).toHaveLength(2);
      expect(g.t.logs.join('\n')).toContain('companies moved to another portfolio while the gateway was stopped');
      frNew = await g.issue(U.fern);
    } finally {
      await g.close();
    }

    // The next start finds nothing: the new token is sealed for the root its company has.
    g = await start();
    try {
      expect((await g.useToken(frNew.access_token)).status).toBe(200);
      expect(upstream.last!.headers['x-highlight-portfolio-id']).toBe('other');
      const audit = (await g.request('GET', '/auth/portfolios/other/audit', { as: U.olaf })).json<AuditPage>();
      expect(audit.events.filter((e) => e.action === 'company.reparent')).toHaveLength(2);
    } finally {
      await g.close();
    }
  });
});

