import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite-driver.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MasterKey } from '../../src/secrets/master-key.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { basic, call } from '../support/http-call.js';
import { PASS_PHRASE } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES } from '../support/stores.js';

/** What `identity.upstream: basic` leaves at rest, read past the gateway, and two instances on one store. */
const LOGIN = 'ed@acme.example';
const PASSWORD = 'ed-secret-at-rest-7';

/** A Basic-only API that is also the user directory (users.source: upstream). */
function basicOnlyApi(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers.authorization !== basic(LOGIN, PASSWORD)) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="highlight"' });
    return void res.end();
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(req.url === '/WS2/me' ? { user: { id: 502, login: LOGIN, roles: ['portfolioManager'] }, company: { id: 'acme' } } : { user: LOGIN }));
}

const CONFIG = {
  identity: { upstream: 'basic' },
  users: { source: 'upstream', path: '/WS2/me', pointers: { userId: '/user/id', login: '/user/login', companyId: '/company/id', roles: '/user/roles' } },
};

async function enable(t: TestGateway): Promise<void> {
  const put = await call(t.url, '/auth/portfolios/acme/token-policy', {
    method: 'PUT', headers: { authorization: basic(LOGIN, PASSWORD), 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 }),
  });
  expect(put.status).toBe(200);
}
async function authorize(t: TestGateway): Promise<{ access_token: string; token_id: string }> {
  const r = await call(t.url, '/auth/oauth/authorize', { method: 'POST', headers: { authorization: basic(LOGIN, PASSWORD) } });
  expect(r.status).toBe(200);
  return r.json();
}

describe('basic mode at rest: the SQLite file, opened directly', () => {
  let api: RecordingUpstream;
  let dir: string;
  let store: Store;
  let t: TestGateway;
  let closed = false;
  const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');

  beforeEach(async () => {
    api = await new RecordingUpstream().start();
    api.respond = basicOnlyApi;
    dir = mkdtempSync(join(tmpdir(), 'hlgw-replay-'));
    store = new SqliteStore(join(dir, 'hlgw.db'));
    t = await startGateway({ upstreamUrl: api.url, store, masterKey, config: CONFIG });
    await enable(t);
  });
  afterEach(async () => {
    if (!closed) await t.close();
    await store.close();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds ciphertexts only: not the password, one per token, and the master key opens none of them', async () => {
    const a = await authorize(t);
    const b = await authorize(t);
    expect((await call(t.url, '/WS2/x', { headers: { authorization: `Bearer ${b.access_token}` } })).status).toBe(200);
    await t.close(); // everything acknowledged is on disk; the store handle closes in afterEach (idempotent)
    closed = true;
    await store.close();

    const db = openSqlite(join(dir, 'hlgw.db')); // the store is closed: only this handle reads the file
    const rows = db.prepare('SELECT token_id, sealed_credential FROM tokens ORDER BY created_at').all() as { token_id: string; sealed_credential: string }[];
    db.close();
    const byId = new Map(rows.map((r) => [r.token_id, r.sealed_credential]));
    const ca = byId.get(a.token_id)!;
    const cb = byId.get(b.token_id)!;
    expect(ca).toMatch(/^c1\./);
    expect(ca).not.toBe(cb); // same password, two tokens: two ciphertexts
    // Not a master-key seal under any context the gateway uses.
    for (const c of [ca, cb]) for (const ctx of ['acme', a.token_id, b.token_id, '']) expect(() => masterKey.unseal(c, ctx)).toThrow();
    // Nowhere in the files (database, WAL): neither the password nor the Basic credential, in any usual spelling.
    const b64 = basic(LOGIN, PASSWORD).slice(6);
    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, f));
      for (const needle of [PASSWORD, b64, Buffer.from(`${LOGIN}:${PASSWORD}`).toString('base64url'), Buffer.from(PASSWORD).toString('base64url')]) {
        expect(bytes.includes(Buffer.from(needle)), `${needle} in ${f}`).toBe(false);
      }
    }
  });
});

const redis = STORE_FACTORIES.find((f) => f.name === 'redis');
describe.skipIf(redis === undefined)('basic mode, two instances on one Redis', () => {
  let api: RecordingUpstream;
  let stores: Store[];
  let a: TestGateway;
  let b: TestGateway;

  beforeEach(async () => {
    api = await new RecordingUpstream().start();
    api.respond = basicOnlyApi;
    const location = await redis!.prepare();
    stores = [await location.open(), await location.open()];
    const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
    a = await startGateway({ upstreamUrl: api.url, store: stores[0], masterKey, config: { ...CONFIG, store: { type: 'redis', url: 'redis://127.0.0.1:1' } } });
    b = await startGateway({ upstreamUrl: api.url, store: stores[1], masterKey, config: { ...CONFIG, store: { type: 'redis', url: 'redis://127.0.0.1:1' } } });
    await enable(a);
  });
  afterEach(async () => {
    await Promise.allSettled([a.close(), b.close()]);
    await Promise.allSettled(stores.map((s) => s.close()));
    await api.stop();
  });

  it('a token issued on A replays the user\'s Basic on B', async () => {
    const tok = await authorize(a);
    await stores[1]!.connection?.confirmPush();
    let r = await call(b.url, '/WS2/domains', { headers: { authorization: `Bearer ${tok.access_token}` } });
    for (let i = 0; r.status !== 200 && i < 50; i++) {
      await new Promise((res) => setTimeout(res, 20)); // B learns the portfolio from the change channel
      r = await call(b.url, '/WS2/domains', { headers: { authorization: `Bearer ${tok.access_token}` } });
    }
    expect(r.status).toBe(200);
    expect(api.last!.headers.authorization).toBe(basic(LOGIN, PASSWORD));
  });
});
