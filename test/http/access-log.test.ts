import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLog } from '../../src/http/access-log.js';
import { createLogger } from '../../src/log.js';
import { basic, call } from '../support/http-call.js';
import { PASS_PHRASE, USERS, usersFilePath, type DemoUser } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';
import { flipBodyBit } from '../support/forge.js';

interface AccessLine {
  log: string; time: number; requestId?: string; method: string; path: string; status?: number; auth: string; outcome: string;
  reason?: string; upstreamStatus?: number; upstreamMs?: number; durationMs: number; bytesIn: number; bytesOut: number; client: string;
  tokenId?: string; companyId?: string; userId?: string;
}
const accessLines = (t: TestGateway): AccessLine[] => t.logs.flatMap((l) => l.split('\n')).filter((l) => l.includes('"log":"access"')).map((l) => JSON.parse(l));

const SERVICE = 'Basic c3ZjOnNlcnZpY2Utc2VjcmV0LTc3';
const COOKIE = 'session=cookie-secret-5f1e';
const API_KEY = 'api-key-secret-91ab';
const QUERY = 'query-secret-3c2d';

describe('log.access: all, flooded with every kind of secret', () => {
  let up: RecordingUpstream;
  let t: TestGateway;
  const tokens: string[] = [];
  let requests = 0;

  const send = async (path: string, o: Parameters<typeof call>[2] = {}) => {
    requests++;
    return call(t.url, path, { ...o, headers: { cookie: COOKIE, 'x-api-key': API_KEY, 'proxy-authorization': SERVICE, ...o.headers } });
  };
  const asUser = (u: DemoUser) => ({ authorization: basic(u.login, u.password) });

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    t = await startGateway({
      upstreamUrl: up.url,
      env: { SERVICE_AUTH: SERVICE },
      config: {
        log: { access: 'all' },
        users: { source: 'file', file: await usersFilePath() },
        identity: { upstreamAuthorization: { fromEnv: 'SERVICE_AUTH' } },
      },
    });
    // The endpoints: a pass phrase in a JSON body, passwords in Basic (right and wrong), tokens in answers.
    const json = { 'content-type': 'application/json' };
    const policy = await send('/auth/portfolios/acme/token-policy', { method: 'PUT', headers: { ...asUser(USERS.manager), ...json }, body: JSON.stringify({ enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 }) });
    expect(policy.status).toBe(200);
    for (const u of [USERS.alice, USERS.bob]) {
      const r = await send('/auth/oauth/authorize', { method: 'POST', headers: asUser(u) });
      expect(r.status).toBe(200);
      tokens.push(r.json<{ access_token: string }>().access_token);
    }
    const [alice, bob] = tokens as [string, string];
    await send('/auth/tokens', { headers: { authorization: `Bearer ${alice}` } });
    await send(`/auth/tokens?access_token=${alice}&q=${QUERY}`, { headers: asUser(USERS.alice) });
    await send('/auth/oauth/introspect', { method: 'POST', headers: { ...asUser(USERS.manager), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${bob}` });
    await send('/auth/tokens', { headers: { authorization: basic(USERS.alice.login, 'wrong-password-8d7c') } });
    // The proxy: Basic, Bearer (valid, tampered, in the query, in the path), other schemes.
    await send('/api/basic', { headers: asUser(USERS.bob) });
    await send(`/api/bearer?q=${QUERY}`, { headers: { authorization: `Bearer ${alice}` } });
    await send('/api/tampered', { headers: { authorization: `Bearer ${flipBodyBit(alice, 30)}` } });
    await send(`/api/query?access_token=${bob}`);
    await send(`/api/in-path/${bob}/x`);
    await send('/api/digest', { headers: { authorization: `Digest username="alice", response="${API_KEY}"` } });
    await send('/api/post', { method: 'POST', headers: { ...json }, body: JSON.stringify({ password: USERS.alice.password, token: alice }) });
    await send('/auth/oauth/revoke', { method: 'POST', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${bob}` });
    // Lines are written when the response is done: wait until every request has its line.
    for (let i = 0; i < 100 && accessLines(t).length < requests; i++) await new Promise((r) => setTimeout(r, 10));
  });
  afterAll(async () => {
    await t.close();
    await up.stop();
  });

  it('writes one line per request', () => {
    expect(accessLines(t)).toHaveLength(requests);
  });

  it('never writes a password, pass phrase, token, cookie, credential or query string', () => {
    const all = t.logs.join('\n');
    const secrets = [
      PASS_PHRASE, ...Object.values(USERS).map((u) => u.password), 'wrong-password-8d7c', COOKIE, 'cookie-secret-5f1e', API_KEY, QUERY, SERVICE, 'c3ZjOnNlcnZpY2Utc2VjcmV0LTc3',
      ...Object.values(USERS).map((u) => basic(u.login, u.password).slice(6)),
      // Each token whole and each of its five parts (a part alone would still be a leak of it).
      ...tokens, ...tokens.flatMap((tk) => tk.split('.').filter((p) => p.length >= 8)),
    ];
    for (const s of secrets) expect(all.includes(s), s).toBe(false);
    expect(all).not.toMatch(/access_token=|[?&]q=/);
  });

  it('has the fields an operator reads, for each kind of request', () => {
    const lines = accessLines(t);
    const byPath = (p: string) => lines.find((l) => l.path === p)!;
    expect(byPath('/api/bearer')).toMatchObject({ method: 'GET', status: 200, auth: 'bearer', outcome: 'forwarded', upstreamStatus: 200, client: '127.0.0.1' });
    expect(byPath('/api/bearer').requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(byPath('/api/bearer').upstreamMs).toBeGreaterThanOrEqual(0);
    expect(byPath('/api/bearer').bytesOut).toBeGreaterThan(0);
    expect(byPath('/api/tampered')).toMatchObject({ status: 401, auth: 'bearer', outcome: 'rejected', reason: 'token_invalid_seal' });
    expect(byPath('/api/tampered').upstreamStatus).toBeUndefined();
    expect(byPath('/api/query')).toMatchObject({ status: 400, outcome: 'rejected', reason: 'token_in_query' });
    expect(byPath('/api/basic')).toMatchObject({ auth: 'basic', outcome: 'forwarded', upstreamStatus: 200 });
    expect(byPath('/api/digest')).toMatchObject({ auth: 'other', outcome: 'forwarded' });
    expect(byPath('/api/in-path/[token]/x')).toMatchObject({ auth: 'none', status: 200 });
    expect(byPath('/api/post')).toMatchObject({ method: 'POST', bytesIn: expect.any(Number) });
    expect(byPath('/api/post').bytesIn).toBeGreaterThan(20);
    const unauthorized = lines.filter((l) => l.path === '/auth/tokens' && l.status === 401);
    expect(unauthorized).toEqual([expect.objectContaining({ auth: 'basic', outcome: 'endpoint', reason: 'unauthorized' })]);
    expect(byPath('/auth/portfolios/acme/token-policy')).toMatchObject({ method: 'PUT', status: 200, outcome: 'endpoint' });
    for (const l of lines) expect(typeof l.time).toBe('number');
  });

  it('says which token and company a verified Bearer request came with, and no user id by default', async () => {
    const [alice] = await t.gw.tokens.list(USERS.alice.companyId, USERS.alice.userId);
    const lines = accessLines(t);
    expect(lines.find((l) => l.path === '/api/bearer')).toMatchObject({ tokenId: alice!.tokenId, companyId: USERS.alice.companyId });
    expect(lines.filter((l) => l.tokenId !== undefined).map((l) => l.path)).toEqual(['/api/bearer']); // refused, Basic, anonymous: none
    for (const l of lines) expect(JSON.stringify(l)).not.toContain(`"${USERS.alice.userId}"`);
  });
});

describe('log.access settings', () => {
  let up: RecordingUpstream;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
  });
  afterAll(() => up.stop());

  it.each([
    [{}, 0],
    [{ access: 'off' }, 0],
    [{ access: 'sampled', accessSampleRate: 0 }, 0],
    [{ access: 'sampled', accessSampleRate: 1 }, 5],
    [{ access: 'all', level: 'silent' }, 5],
  ])('%j logs %i of 5 requests', async (log, expected) => {
    const t = await startGateway({ upstreamUrl: up.url, config: { log } });
    try {
      for (let i = 0; i < 5; i++) await call(t.url, `/n${i}`);
      for (let i = 0; i < 100 && accessLines(t).length < expected; i++) await new Promise((r) => setTimeout(r, 10));
      expect(accessLines(t)).toHaveLength(expected);
    } finally {
      await t.close();
    }
  });

  it('writes the user id of a verified Bearer request with accessUserIds, and only then', async () => {
    const t = await startGateway({ upstreamUrl: up.url, config: { log: { access: 'all', accessUserIds: true } } });
    try {
      const { token, record } = await enableAndIssue(t);
      await call(t.url, '/who', { headers: { authorization: `Bearer ${token}` } });
      await call(t.url, '/anonymous');
      for (let i = 0; i < 100 && accessLines(t).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      const [who, anonymous] = [accessLines(t).find((l) => l.path === '/who'), accessLines(t).find((l) => l.path === '/anonymous')];
      expect(who).toMatchObject({ auth: 'bearer', outcome: 'forwarded', tokenId: record.tokenId, companyId: record.companyId, userId: record.userId });
      expect(anonymous).toMatchObject({ auth: 'none' });
      expect(anonymous).not.toHaveProperty('userId');
    } finally {
      await t.close();
    }
  });

  it('concurrent responses each get their own line, and the gateway stopped at once after them loses none', async () => {
    const t = await startGateway({ upstreamUrl: up.url, config: { log: { access: 'all' } } });
    let stopped = false;
    try {
      // Lines are built in batches (one per turn of the event loop): 40 at once share batches.
      const paths = Array.from({ length: 40 }, (_, i) => `/c${i}`);
      const answers = await Promise.all(paths.map((p, i) => call(t.url, p, { headers: i % 2 === 0 ? {} : { authorization: 'Basic YTpi' } })));
      expect(answers.every((r) => r.status === 200)).toBe(true);
      await t.close(); // no wait for the batch: stopping writes what is pending
      stopped = true;
      const lines = accessLines(t);
      expect(lines.map((l) => l.path).sort()).toEqual([...paths].sort());
      for (const l of lines) {
        const i = Number(l.path.slice(2));
        expect(l).toMatchObject({ status: 200, outcome: 'forwarded', auth: i % 2 === 0 ? 'none' : 'basic', upstreamStatus: 200 });
      }
    } finally {
      if (!stopped) await t.close();
    }
  });

  it('a line still waiting for its batch is written by close(), before close() returns', async () => {
    const out: string[] = [];
    const log = createLogger('info', new Writable({ write(chunk: Buffer, _enc, cb) { out.push(chunk.toString()); cb(); } }));
    const access = new AccessLog(log, { access: 'all', accessSampleRate: 1, accessUserIds: false }, { trustedProxies: new Set(), maxTokenBytes: 4096, isEndpoint: () => false });
    let writtenAtClose = '';
    const server: Server = createServer(access.wrap((_req, res) => {
      // Runs after the log's own `close` listener: the line is pending, its batch not yet run.
      res.on('close', () => {
        access.close();
        writtenAtClose = out.join('');
      });
      res.end('ok');
    }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const r = await call(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, '/last-words');
      expect(r.status).toBe(200);
      for (let i = 0; i < 100 && writtenAtClose === ''; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(writtenAtClose).toContain('"path":"/last-words"');
    } finally {
      server.close();
    }
  });

  it('logs the client behind a trusted proxy, not the proxy', async () => {
    const t = await startGateway({ upstreamUrl: up.url, config: { log: { access: 'all' }, server: { trustedProxies: ['127.0.0.1'] } } });
    try {
      await call(t.url, '/behind', { headers: { 'x-forwarded-for': '203.0.113.7' } });
      for (let i = 0; i < 100 && accessLines(t).length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(accessLines(t)[0]).toMatchObject({ path: '/behind', client: '203.0.113.7' });
    } finally {
      await t.close();
    }
  });
});
