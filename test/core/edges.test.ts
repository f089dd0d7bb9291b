import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { FakeClock } from '../support/fake-clock.js';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';

const FORWARDERS: ForwarderName[] = ['undici', 'http-proxy'];

/**
 * Writes raw bytes and returns the first response (head and a Content-Length or chunked body),
 * then closes: the http-proxy forwarder currently answers `Connection: close` with keep-alive.
 */
function raw(base: string, request: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(request));
    let out = '';
    const done = () => {
      s.destroy();
      resolve(out);
    };
    s.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      const end = out.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(out.slice(0, end));
      if (length ? out.length >= end + 4 + Number(length[1]) : out.endsWith('\r\n0\r\n\r\n')) done();
    });
    s.on('end', done);
    s.on('error', reject);
  });
}

/** What a client can send at the edges (request target, forwarding headers, Bearer look-alikes): each reproduction, on both forwarders. */
describe.each(FORWARDERS)('the edges via %s', (forwarder) => {
  let up: RecordingUpstream;
  let t: TestGateway;
  let trusting: TestGateway;
  let token: string;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    t = await startGateway({ upstreamUrl: up.url, forwarder, clock: new FakeClock() });
    token = (await enableAndIssue(t)).token;
    trusting = await startGateway({ upstreamUrl: up.url, forwarder, config: { server: { trustedProxies: ['127.0.0.1'] } } });
  });
  afterAll(async () => {
    await t.close();
    await trusting.close();
    await up.stop();
  });
  beforeEach(() => {
    up.requests.length = 0;
  });

  describe('a token in the URL is refused however the name is spelled (RFC 6750 §5.3)', () => {
    it.each([
      '/WS2/x?%61ccess_token=T',
      '/WS2/x?access%5Ftoken=T',
      '/WS2/x?access%5ftoken=T',
      '/WS2/x;access_token=T',
      '/WS2/x?a=1;access_token=T',
      '/WS2/x;a=1?access_token=T',
      '/WS2/x?ACCESS_TOKEN=T',
      '/WS2/x?Access_Token=T',
      '/WS2/x?a=1&%41CCESS%5FTOKEN=T',
      '/WS2/x?%2561ccess_token=T', // decoded twice by some stacks
      '/WS2/x?access_token[]=T', // PHP, Rack: an array named access_token
      '/WS2/x?access.token=T', // PHP maps `.` and space in names to `_`
      '/WS2/x?access+token=T',
      '/WS2/x?access[token=T',
      '/WS2/x?acce%C5%BF%C5%BF_token=T', // ſ (U+017F) equals s case-insensitively in Java
      '/WS2/x?access_to%E2%84%AAen=T', // K (Kelvin sign) lowercases to k
      '/WS2/x?access_token', // no value still names it
      '/WS2/x?%20access_token=T',
      '/WS2/x?a=%ZZ&access_token=T', // a broken escape elsewhere does not hide it
    ])('%s → 400 token_in_query, upstream not called', async (path) => {
      const r = await call(t.url, path.replace(/T$/, token));
      expect(r.status).toBe(400);
      expect(r.json()).toMatchObject({ code: 'token_in_query' });
      expect(r.headers['www-authenticate']).toContain('error="invalid_request"');
      expect(up.requests).toHaveLength(0);
    });

    it.each([
      '/WS2/x?no_access_token_here=1',
      '/WS2/x?access_tokens=1',
      '/WS2/x?q=access_token',
      '/WS2/x?q=%61ccess_token',
      '/WS2/access_token/x',
      '/WS2/x?token=1&access=2',
    ])('%s is forwarded as it is', async (path) => {
      const r = await call(t.url, path);
      expect(r.status).toBe(200);
      expect(up.last!.url).toBe(path);
    });
  });

  describe('any scheme that starts with "bearer" is Bearer or malformed, never passed through', () => {
    it.each([
      `Bearer\t${'TOKEN'}`,
      'Bearer,TOKEN',
      'Bearer;TOKEN',
      'Bearer:TOKEN',
      'BearerTOKEN',
      'bearer\tTOKEN',
      'Bearer= TOKEN',
      'Bearerx TOKEN',
    ])('%j → 400 invalid_request, upstream not called', async (header) => {
      const r = await call(t.url, '/WS2/x', { headers: { authorization: header.replace('TOKEN', token) } });
      expect(r.status).toBe(400);
      expect(r.headers['www-authenticate']).toContain('error="invalid_request"');
      expect(up.requests).toHaveLength(0);
    });

    it('Basic and other schemes still pass through byte for byte', async () => {
      for (const header of ['Basic YWxpY2U6cHc=', 'Digest username="a"', 'Negotiate abc']) {
        expect((await call(t.url, '/WS2/x', { headers: { authorization: header } })).status).toBe(200);
        expect(up.last!.headers.authorization).toBe(header);
      }
    });
  });

  describe('forwarding headers from an untrusted client never reach the upstream', () => {
    it('HTTP/1.0 without Host: a client X-Forwarded-Host is removed', async () => {
      const res = await raw(t.url, 'GET /WS2/x HTTP/1.0\r\nX-Forwarded-Host: evil.example\r\n\r\n');
      expect(res).toMatch(/^HTTP\/1\.1 200/);
      expect(up.requests).toHaveLength(1);
      expect(up.last!.headers['x-forwarded-host']).toBeUndefined();
    });

    it('Host listed in Connection: a client X-Forwarded-Host is never believed', async () => {
      const res = await raw(t.url, 'GET /WS2/x HTTP/1.1\r\nHost: api.example\r\nConnection: host, close\r\nX-Forwarded-Host: evil.example\r\n\r\n');
      // Refusing the request (a Connection check) is as good as forwarding it cleaned.
      expect(res).toMatch(/^HTTP\/1\.1 (200|400)/);
      for (const r of up.requests) expect(r.rawHeaders.join('\n')).not.toContain('evil.example');
    });

    it('Forwarded, X-Real-IP and their underscore spellings are removed', async () => {
      const r = await call(t.url, '/WS2/x', {
        headers: {
          host: 'api.example', forwarded: 'for=6.6.6.6;host=evil.example;proto=https', 'x-real-ip': '6.6.6.6',
          x_real_ip: '6.6.6.6', x_forwarded_host: 'evil.example', 'x_forwarded-for': '6.6.6.6',
        },
      });
      expect(r.status).toBe(200);
      const h = up.last!.headers;
      expect(h.forwarded).toBeUndefined();
      expect(h['x-real-ip']).toBeUndefined();
      expect(up.last!.rawHeaders.join('\n')).not.toMatch(/6\.6\.6\.6|evil\.example/);
      expect(h['x-forwarded-for']).toBe('127.0.0.1');
      expect(h['x-forwarded-host']).toBe('api.example');
    });

    it('from a trusted proxy they are believed, and Forwarded gets our hop appended (RFC 7239 §4)', async () => {
      const r = await call(trusting.url, '/WS2/x', {
        headers: { host: 'api.example', forwarded: 'for=198.51.100.7', 'x-real-ip': '198.51.100.7', 'x-forwarded-host': 'public.example' },
      });
      expect(r.status).toBe(200);
      const h = up.last!.headers;
      expect(h.forwarded).toBe('for=198.51.100.7, for=127.0.0.1;host=api.example;proto=http');
      expect(h['x-real-ip']).toBe('198.51.100.7');
      expect(h['x-forwarded-host']).toBe('public.example');
    });
  });

  describe('X-Request-Id: one rule on the proxy path and on /auth answers', () => {
    it.each([
      ['an error answer', 'GET', '/auth/tokens'],
      ['a success answer', 'POST', '/auth/oauth/revoke'],
    ])('%s on /auth replaces an insane id and keeps a sane one', async (_name, method, path) => {
      const body = method === 'POST' ? 'token=nope' : undefined;
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      const insane = await call(t.url, path, { method, body, headers: { ...headers, 'x-request-id': '<img src=x onerror=alert(1)>' } });
      expect(insane.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const sane = await call(t.url, path, { method, body, headers: { ...headers, 'x-request-id': 'abc-123.def' } });
      expect(sane.headers['x-request-id']).toBe('abc-123.def');
      const none = await call(t.url, path, { method, body, headers });
      expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});
