import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { MasterKey } from '../../src/secrets/master-key.js';
import type { Store } from '../../src/store/types.js';
import { hashPassword } from '../../src/users/password-hash.js';
import { FakeClock } from '../support/fake-clock.js';
import { startLifecycleGateway, USERS, usersFilePath, type DemoUser, type LifecycleGateway } from '../support/lifecycle.js';
import { PortalClient, type PortalSession } from '../support/portal-client.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, type StoreLocation } from '../support/stores.js';

interface FileUser { login: string; userId: string; companyId: string; passwordHash: string; roles: string[] }
type Edit = (users: FileUser[]) => FileUser[];

const { alice, manager } = USERS;
const only = (login: string, change: (u: FileUser) => FileUser | undefined): Edit =>
  (us) => us.flatMap((u) => (u.login === login ? [change(u)].filter((x): x is FileUser => x !== undefined) : [u]));

/** Each way the users file can stop describing the user a session was made for. */
const CHANGES: { name: string; who: DemoUser; edit: () => Promise<Edit>; reason: string }[] = [
  { name: 'removed', who: alice, edit: async () => only(alice.login, () => undefined), reason: 'user no longer in the users file' },
  { name: 'password changed', who: alice, edit: async () => { const h = await hashPassword('alice-New-Pw-9!'); return only(alice.login, (u) => ({ ...u, passwordHash: h })); }, reason: 'password changed' },
  { name: 'moved to another company', who: alice, edit: async () => only(alice.login, (u) => ({ ...u, companyId: 'globex' })), reason: 'company changed' },
  { name: 'user id changed', who: alice, edit: async () => only(alice.login, (u) => ({ ...u, userId: 'u-2-renumbered' })), reason: 'user id changed' },
  { name: 'manager role removed', who: manager, edit: async () => only(manager.login, (u) => ({ ...u, roles: [] })), reason: 'role changed' },
];

/**
 * A portal session is bound to the user's state when it was made: a users file reload (or a
 * restart with another file) that removes the user, changes their password, company, user id or
 * manager role ends the session (401, nothing generated), on both stores, in both identity modes
 * where the portal's Generate needs no password, and audits the ending.
 */
describe.each(STORE_FACTORIES.flatMap((f) => (['headers', 'assertion'] as const).map((mode) => ({ factory: f, name: f.name, mode }))))(
  'portal sessions bound to their user ($name store, identity $mode)', ({ factory, mode }) => {
    const upstream = new RecordingUpstream();
    const clock = new FakeClock();
    const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
    const dir = mkdtempSync(join(tmpdir(), 'hlgw-session-binding-'));
    const file = join(dir, 'users.yaml');
    let base: FileUser[];
    let location: StoreLocation;
    let store: Store;
    let g: LifecycleGateway;
    let portal: PortalClient;

    const writeUsers = (edit: Edit = (us) => us) => writeFileSync(file, stringify({ users: edit(base) }));
    async function start(): Promise<void> {
      store = await location.open();
      g = await startLifecycleGateway({
        upstreamUrl: upstream.url, store, clock, masterKey,
        config: {
          users: { source: 'file', file },
          ...(mode === 'assertion' ? { identity: { upstream: 'assertion', assertion: { issuer: 'hlgw-test' } } } : {}),
        },
      });
      portal = new PortalClient(g.url);
    }
    async function stop(): Promise<void> {
      await g.close();
      await store.close();
    }
    const reload = () => g.t.gw.reload(g.t.config);
    const tokensOf = async (who: DemoUser) => (await store.listTokens(who.companyId, who.userId)).length;
    const endings = async (companyId: string) => (await store.listAudit(companyId, { limit: 200 })).events.filter((e) => e.action === 'session.end');

    /** The session is over everywhere the page could use it, and Generate made nothing. */
    async function expectEnded(s: PortalSession, who: DemoUser): Promise<void> {
      const tokensBefore = await tokensOf(who);
      const me = await portal.request('GET', 'session', { session: s });
      expect(me.status).toBe(401);
      expect(me.json()).toMatchObject({ code: 'session_required' });
      const generate = await portal.request('POST', 'oauth/authorize', { session: s });
      expect(generate.status).toBe(401);
      expect(await tokensOf(who)).toBe(tokensBefore);
      expect((await portal.request('GET', 'portfolios/acme/token-policy', { session: s })).status).toBe(401);
    }

    beforeAll(async () => {
      await upstream.start();
      base = (parse(readFileSync(await usersFilePath(), 'utf8')) as { users: FileUser[] }).users;
      writeUsers();
      location = await factory.prepare();
      await start();
      await g.enable(manager);
    });
    afterAll(async () => {
      await stop();
      await upstream.stop();
      await location.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it.each(CHANGES)('$name in the users file + reload: the session answers 401, Generate is refused, the ending is audited', async ({ who, edit, reason }) => {
      writeUsers();
      await reload();
      const s = await portal.signIn(who.login, who.password);
      expect((await portal.request('GET', 'session', { session: s })).status).toBe(200);
      const auditedBefore = (await endings('acme')).length;

      writeUsers(await edit());
      await reload();
      await expectEnded(s, who);
      const audited = await endings('acme');
      expect(audited).toHaveLength(auditedBefore + 1);
      expect(audited[0]).toMatchObject({ actor: 'operator', detail: { userId: who.userId, login: who.login, reason, sessions: 1 } });
    });

    it('an unrelated change (another user removed) leaves the session working; a reload without change ends nothing', async () => {
      writeUsers();
      await reload();
      const s = await portal.signIn(alice.login, alice.password);
      writeUsers(only(USERS.bob.login, () => undefined));
      await reload();
      await reload();
      expect((await portal.request('GET', 'session', { session: s })).status).toBe(200);
      expect((await portal.request('POST', 'oauth/authorize', { session: s })).status).toBe(200);
    });

    it('a restart between sign-in and removal: the stored session is refused by the gateway that reads the new file, and audited', async () => {
      writeUsers();
      await reload();
      const s = await portal.signIn(alice.login, alice.password);
      const auditedBefore = (await endings('acme')).length;
      await stop();
      writeUsers(only(alice.login, () => undefined));
      await start();
      await expectEnded(s, alice);
      const audited = await endings('acme');
      expect(audited).toHaveLength(auditedBefore + 1);
      expect(audited[0]).toMatchObject({ actor: 'system', detail: { userId: alice.userId, reason: 'user no longer in the users file', sessions: 1 } });
    });
  },
);

/** The reload happens on A; the session is used through B, whose own users file still lists the user. */
describe.skipIf(!STORE_FACTORIES.some((f) => f.name === 'redis'))('a session ended by a reload on another instance (one Redis)', () => {
  const upstream = new RecordingUpstream();
  const clock = new FakeClock();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-session-binding-2-'));
  const fileA = join(dir, 'a.yaml');
  const fileB = join(dir, 'b.yaml');
  const stores: Store[] = [];
  let a: LifecycleGateway;
  let b: LifecycleGateway;

  beforeAll(async () => {
    await upstream.start();
    const text = readFileSync(await usersFilePath(), 'utf8');
    writeFileSync(fileA, text);
    writeFileSync(fileB, text);
    const location = await STORE_FACTORIES.find((f) => f.name === 'redis')!.prepare();
    stores.push(await location.open(), await location.open());
    const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
    a = await startLifecycleGateway({ upstreamUrl: upstream.url, store: stores[0]!, clock, masterKey, config: { users: { source: 'file', file: fileA } } });
    b = await startLifecycleGateway({ upstreamUrl: upstream.url, store: stores[1]!, clock, masterKey, config: { users: { source: 'file', file: fileB } } });
  });
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await Promise.allSettled(stores.map((s) => s.close()));
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removed on A: B refuses the session although its file still lists the user', async () => {
    const viaB = new PortalClient(b.url);
    const s = await viaB.signIn(alice.login, alice.password);
    expect((await viaB.request('GET', 'session', { session: s })).status).toBe(200);
    const doc = parse(readFileSync(fileA, 'utf8')) as { users: FileUser[] };
    writeFileSync(fileA, stringify({ users: doc.users.filter((u) => u.login !== alice.login) }));
    await a.t.gw.reload(a.t.config);
    const r = await viaB.request('GET', 'session', { session: s });
    expect(r.status).toBe(401);
    expect((await viaB.request('POST', 'oauth/authorize', { session: s })).status).toBe(401);
  });
});
