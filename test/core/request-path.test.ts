import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { FakeClock } from '../support/fake-clock.js';
import { bodyBytes, flipBodyBit } from '../support/forge.js';
import { call } from '../support/http-call.js';
import { RawConnection } from '../support/raw-http.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

const FORWARDERS: ForwarderName[] = ['undici', 'http-proxy'];
/** Every forwarder on every store: one suite, parameterised. */
const MATRIX = FORWARDERS.flatMap((f) => STORE_FACTORIES.map((s) => [f, s.name, s] as const));
const IDENTITY = ['x-highlight-user-id', 'x-highlight-login', 'x-highlight-company-id', 'x-highlight-token-id', 'x-highlight-auth-method'];
const BASIC = 'Basic YWxpY2VAYWNtZS5leGFtcGxlOnMzY3IzdA==';

/** The request-path suite runs once per forwarder and store: they must all behave the same. */
describe.each(MATRIX)('request path via %s on %s', (forwarder, _storeName, factory) => {
  let up: RecordingUpstream;
  let t: TestGateway;
  let token: string;
  let tokenId: string;
  let fresh: Awaited<ReturnType<typeof freshStore>>;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    fresh = await freshStore(factory);
    t = await startGateway({ upstreamUrl: up.url, forwarder, clock: new FakeClock(), store: fresh.store });
    const issued = await enableAndIssue(t);
    token = issued.token;
    tokenId = issued.record.tokenId;
  });
  afterAll(async () => {
    await t.close();
    await fresh.close();
    await up.stop();
  });
  beforeEach(() => {
    up.requests.length = 0;
    up.respond = undefined;
    up.streaming = undefined;
  });

  it('forwards Basic untouched: Authorization byte for byte, method, path, query, body, other headers', async () => {
    const r = await call(t.url, '/WS2/domains/12/applications?x=1&y=%20a%2Fb', {
      method: 'POST',
      headers: { authorization: BASIC, 'content-type': 'application/json', 'x-custom': 'keep me' },
      body: '{"name":"app"}',
    });
    expect(r.status).toBe(200);
    const got = up.last!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/WS2/domains/12/applications?x=1&y=%20a%2Fb');
    expect(got.headers.authorization).toBe(BASIC);
    expect(got.headers['x-custom']).toBe('keep me');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.body.toString()).toBe('{"name":"app"}');
    for (const h of IDENTITY) expect(got.headers[h]).toBeUndefined();
  });

  it('forwards anonymous requests untouched', async () => {
    const r = await call(t.url, '/WS2/ping');
    expect(r.status).toBe(200);
    expect(up.last!.url).toBe('/WS2/ping');
    expect(up.last!.headers.authorization).toBeUndefined();
  });

  it('rewrites a valid Bearer token into identity headers; the upstream never sees the token', async () => {
    const r = await call(t.url, '/WS2/me', { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    const h = up.last!.headers;
    expect(h.authorization).toBeUndefined();
    expect(h['x-highlight-user-id']).toBe('u-42');
    expect(h['x-highlight-login']).toBe('alice@acme.example');
    expect(h['x-highlight-company-id']).toBe('acme');
    expect(h['x-highlight-token-id']).toBe(tokenId);
    expect(h['x-highlight-auth-method']).toBe('bearer');
    expect(up.last!.rawHeaders.join('\n')).not.toContain(token);
  });

  describe('strips spoofed identity headers on every kind of request', () => {
    const spoofs: [string, string | string[]][] = [
      ['X-Highlight-User-Id', 'evil'],
      ['x-highlight-login', 'root@evil'],
      ['X_Highlight_Company_Id', 'other-co'],
      ['x-highlight-token-id', ['a', 'b']],
      ['X-HIGHLIGHT-AUTH-METHOD', 'bearer'],
    ];
    it.each(['none', 'basic', 'bearer'] as const)('with %s auth', async (kind) => {
      const headers: Record<string, string | string[]> = Object.fromEntries(spoofs);
      if (kind === 'basic') headers.authorization = BASIC;
      if (kind === 'bearer') headers.authorization = `Bearer ${token}`;
      const r = await call(t.url, '/x', { headers });
      expect(r.status).toBe(200);
      const raw = up.last!.rawHeaders.join('\n');
      expect(raw).not.toMatch(/evil|other-co/);
      expect(raw).not.toMatch(/x_highlight/i);
      if (kind === 'bearer') {
        expect(up.last!.headers['x-highlight-token-id']).toBe(tokenId);
        expect(up.last!.headers['x-highlight-company-id']).toBe('acme');
      } else {
        for (const h of IDENTITY) expect(up.last!.headers[h]).toBeUndefined();
      }
    });
  });

  it('one keep-alive connection, several tokens: each request is answered as the token it carries', async () => {
    // The connection remembers its last token's cache key (src/token/cache-key.ts): only that
    // exact token may reuse it. A token one bit away (a valid checksum, a broken seal) and another
    // user's token on the same connection are verified as themselves.
    const other = (await t.gw.tokens.issue({ userId: 'u-43', login: 'bob@acme.example', companyId: 'acme' })).token;
    const forged = flipBodyBit(token, bodyBytes(token).length - 1);
    expect(forged).toHaveLength(token.length);
    const conn = await RawConnection.open(t.url);
    try {
      const ask = async (bearer: string) => {
        up.requests.length = 0;
        conn.send(`GET /WS2/me HTTP/1.1\r\nHost: gw.example\r\nAuthorization: Bearer ${bearer}\r\n\r\n`);
        const r = await conn.next();
        return { status: r?.status, user: up.last?.headers['x-highlight-user-id'] };
      };
      expect(await ask(token)).toEqual({ status: 200, user: 'u-42' });
      expect(await ask(token)).toEqual({ status: 200, user: 'u-42' });
      expect(await ask(forged)).toEqual({ status: 401, user: undefined });
      expect(await ask(token)).toEqual({ status: 200, user: 'u-42' });
      expect(await ask(other)).toEqual({ status: 200, user: 'u-43' });
      expect(await ask(other)).toEqual({ status: 200, user: 'u-43' });
      expect(await ask(token)).toEqual({ status: 200, user: 'u-42' });
      expect(conn.isClosed).toBe(false);
    } finally {
      conn.destroy();
    }
  });

  it('refuses access_token in the URL (RFC 6750 §5.3) without calling the upstream', async () => {
    const r = await call(t.url, `/WS2/x?a=1&access_token=${token}`);
    expect(r.status).toBe(400);
    expect(r.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(r.text).not.toContain(token);
    expect(up.requests).toHaveLength(0);
    // A parameter that merely contains the words is fine.
    expect((await call(t.url, '/WS2/x?no_access_token_here=1')).status).toBe(200);
  });

  it('sets X-Forwarded-* from the socket, ignoring an untrusted client X-Forwarded-For', async () => {
    await call(t.url, '/x', { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', host: 'api.example' } });
    const h = up.last!.headers;
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('api.example');
    // Host sent upstream is the upstream's own (upstream.preserveHost: false).
    expect(h.host).toBe(new URL(up.url).host);
  });

  it('keeps a sane X-Request-Id, replaces an insane one, and returns it', async () => {
    const kept = await call(t.url, '/x', { headers: { 'x-request-id': 'abc-123.def' } });
    expect(kept.headers['x-request-id']).toBe('abc-123.def');
    expect(up.last!.headers['x-request-id']).toBe('abc-123.def');
    const replaced = await call(t.url, '/x', { headers: { 'x-request-id': 'a b <script>' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(up.last!.headers['x-request-id']).toBe(replaced.headers['x-request-id']);
    const rejected = await call(t.url, '/x', { headers: { authorization: 'Bearer nope' } });
    expect(rejected.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('drops hop-by-hop headers both ways and keeps status reason and repeated headers', async () => {
    up.respond = (_req, res) => {
      res.writeHead(418, 'Short And Stout', [
        ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['connection', 'x-secret-hop'], ['x-secret-hop', '1'],
        ['keep-alive', 'timeout=5'], ['x-end-to-end', 'yes'], ['content-type', 'text/plain'],
      ].flat());
      res.end('teapot');
    };
    const r = await call(t.url, '/x', {
      headers: { connection: 'keep-alive, x-hop', 'x-hop': '1', te: 'trailers', 'proxy-authorization': 'Basic eA==', 'x-e2e': 'yes' },
    });
    const h = up.last!.headers;
    expect(h['x-hop']).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h['x-e2e']).toBe('yes');
    expect(r.status).toBe(418);
    expect(r.statusMessage).toBe('Short And Stout');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.headers['x-secret-hop']).toBeUndefined();
    expect(r.headers['x-end-to-end']).toBe('yes');
    expect(r.text).toBe('teapot');
  });

  it('streams a large body both ways without buffering it', async () => {
    const chunk = Buffer.alloc(1 << 20, 7);
    const chunks = 24;
    let firstChunkAtUpstream!: () => void;
    const upstreamSawFirst = new Promise<void>((r) => (firstChunkAtUpstream = r));
    let clientSawFirst!: () => void;
    const clientGotFirst = new Promise<void>((r) => (clientSawFirst = r));
    up.streaming = (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => {
        if (n === 0) firstChunkAtUpstream();
        n += c.length;
      });
      req.on('end', async () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-received': String(n) });
        res.write(chunk);
        // Only finish once the client has the first megabyte: a buffering proxy would deadlock here.
        await clientGotFirst;
        for (let i = 1; i < chunks; i++) if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        res.end();
      });
    };
    const result = await new Promise<{ status: number; received: string; bytes: number }>((resolve, reject) => {
      const req = request(`${t.url}/upload`, { method: 'PUT', agent: false, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          if (bytes === 0) clientSawFirst();
          bytes += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode!, received: String(res.headers['x-received']), bytes }));
      });
      req.on('error', reject);
      req.write(chunk);
      // The rest of the upload only goes once the upstream has the first chunk.
      void upstreamSawFirst.then(async () => {
        for (let i = 1; i < chunks; i++) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      });
    });
    expect(result).toEqual({ status: 200, received: String(chunks * chunk.length), bytes: chunks * chunk.length });
  });

  it('aborts the upstream request when the client goes away', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    let arrived!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    up.streaming = (_req, res) => {
      res.on('close', () => upstreamClosed());
      arrived(); // never answers
    };
    const req = request(`${t.url}/hang`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    await arrivedP;
    req.destroy();
    await closed; // resolves only if the gateway closed its upstream request
  });
});

/** Raw request lines a client library would never send: written on a socket by hand. */
describe('request targets', () => {
  let up: RecordingUpstream;
  let t: TestGateway;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    t = await startGateway({ upstreamUrl: up.url });
  });
  afterAll(async () => {
    await t.close();
    await up.stop();
  });

  function raw(requestLine: string): Promise<string> {
    const { port } = new URL(t.url);
    return new Promise((resolve, reject) => {
      const s = connect(Number(port), '127.0.0.1', () => s.write(`${requestLine}\r\nHost: api.example\r\nConnection: close\r\n\r\n`));
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
  }

  it('reduces absolute-form to origin-form: the upstream sees a path, never another host', async () => {
    const answer = await raw('GET http://evil.example/WS2/x?y=1 HTTP/1.1');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(up.last!.url).toBe('/WS2/x?y=1');
  });

  it('absolute-form cannot dodge the gateway\'s own endpoints', async () => {
    up.requests.length = 0;
    const answer = await raw('GET http://evil.example/auth/tokens HTTP/1.1');
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(up.requests).toHaveLength(0);
  });

  it.each(['OPTIONS * HTTP/1.1', 'GET ftp://x/y HTTP/1.1'])('%s → 400 without the upstream', async (line) => {
    up.requests.length = 0;
    const answer = await raw(line);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('"code":"request_target_invalid"');
    expect(up.requests).toHaveLength(0);
  });
});
