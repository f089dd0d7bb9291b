import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterKey } from '../../src/secrets/master-key.js';
import type { Store } from '../../src/store/types.js';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, startLifecycleGateway, USERS, usersFilePath } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, type StoreLocation } from '../support/stores.js';

interface FileUser { login: string; userId: string; companyId: string }
interface AuditView { action: string; actor: string; detail: Record<string, unknown> }

/** A user removed from the users file loses their tokens at the next start, with an audit record. */
describe.each(STORE_FACTORIES)('users removed from the users file ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-removed-'));
  let location: StoreLocation;
  let store: Store;
  let g: LifecycleGateway;

  /** The suite's users file with some users left out or changed. */
  async function usersFile(name: string, change: (users: FileUser[]) => FileUser[]): Promise<string> {
    const doc = parse(readFileSync(await usersFilePath(), 'utf8')) as { users: FileUser[] };
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, stringify({ users: change(doc.users) }));
    return path;
  }
  async function start(file?: string): Promise<void> {
    store = await location.open();
    g = await startLifecycleGateway({
      upstreamUrl: upstream.url, store, clock, masterKey,
      config: file === undefined ? {} : { users: { source: 'file', file } },
    });
  }
  async function stop(): Promise<void> {
    await g.close();
    await store.close();
  }
  async function revocations(companyId: string, as: typeof USERS.manager): Promise<AuditView[]> {
    const r = await g.request('GET', `/auth/portfolios/${companyId}/audit?limit=200`, { as });
    return r.json<{ events: AuditView[] }>().events.filter((e) => e.action === 'token.revoke');
  }

  beforeAll(async () => {
    await upstream.start();
    location = await factory.prepare();
  });
  afterAll(async () => {
    await upstream.stop();
    await location.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('revokes and audits the tokens of removed users (and of a user whose id changed), once', async () => {
    await start();
    await g.enable(USERS.manager);
    await g.enable(USERS.globexManager);
    const alice = await g.issue(USERS.alice);
    const bob = await g.issue(USERS.bob);
    const gus = await g.issue(USERS.globexUser);
    await stop();

    const file = await usersFile('without-alice', (us) => us
      .filter((u) => u.login !== USERS.alice.login)
      .map((u) => (u.login === USERS.globexUser.login ? { ...u, userId: 'g-2-renumbered' } : u)));
    await start(file);
    try {
      for (const gone of [alice, gus]) {
        const r = await g.useToken(gone.access_token);
        expect(r.status).toBe(401);
        expect(r.json()).toMatchObject({ code: 'token_revoked' });
      }
      expect((await g.useToken(bob.access_token)).status).toBe(200);

      const acme = await revocations('acme', USERS.manager);
      expect(acme).toEqual([expect.objectContaining({
        actor: 'system',
        detail: { tokenId: alice.token_id, userId: USERS.alice.userId, reason: 'user no longer in the users file' },
      })]);
      expect(await revocations('globex', USERS.globexManager)).toEqual([expect.objectContaining({
        actor: 'system', detail: expect.objectContaining({ tokenId: gus.token_id }),
      })]);
      expect(g.t.logs.join('\n')).toContain('revoked the tokens of users no longer in the users file');
    } finally {
      await stop();
    }

    // A second start finds nothing left to do: no second audit record.
    await start(file);
    try {
      expect(await revocations('acme', USERS.manager)).toHaveLength(1);
    } finally {
      await stop();
    }
  });

  it('a login written decomposed (NFD) in the users file is the same user at the next start: the token stays', async () => {
    // "José", e + combining acute: how some editors save it. Logins compare in NFKC, case-folded.
    const nfd = `jose\u0301.${USERS.bob.login}`;
    const file = await usersFile('nfd-login', (us) => us.map((u) => (u.login === USERS.bob.login ? { ...u, login: nfd } : u)));
    await start(file);
    await g.enable(USERS.manager);
    const t = await g.issue({ ...USERS.bob, login: nfd });
    const before = (await revocations(USERS.bob.companyId, USERS.manager)).length;
    await stop();
    await start(file);
    try {
      expect((await g.useToken(t.access_token)).status).toBe(200);
      expect(await revocations(USERS.bob.companyId, USERS.manager)).toHaveLength(before);
    } finally {
      await stop();
    }
  });
});
