import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { PASSPHRASE, enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';

function value(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('metrics, health and logs', () => {
  let up: RecordingUpstream;
  let t: TestGateway;
  let token: string;
  const BASIC = 'Basic YWxpY2U6c3VwZXItc2VjcmV0LXB3';

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    t = await startGateway({ upstreamUrl: up.url, env: { SERVICE_AUTH: 'Basic c3ZjOnN2Yy1zZWNyZXQ=' },
      config: { identity: { upstreamAuthorization: { fromEnv: 'SERVICE_AUTH' } } } });
    token = (await enableAndIssue(t)).token;
  });
  afterAll(async () => {
    await t.close();
    await up.stop();
  });

  it('counts requests by auth, outcome and status class, validations by result, cache hits and misses', async () => {
    const before = await (await call(t.admin, '/metrics')).text;
    await call(t.url, '/a', { headers: { authorization: BASIC } });
    await call(t.url, '/b');
    await call(t.url, '/c', { headers: { authorization: `Bearer ${token}` } });
    await call(t.url, '/c', { headers: { authorization: `Bearer ${token}` } });
    await call(t.url, '/d', { headers: { authorization: 'Bearer x.y.z.w.v' } });
    await call(t.url, '/e', { headers: { authorization: 'Bearer' } });
    const after = (await call(t.admin, '/metrics')).text;
    const delta = (s: string) => value(after, s) - value(before, s);
    expect(delta('hlgw_requests_total{auth="basic",outcome="forwarded",class="2xx"}')).toBe(1);
    expect(delta('hlgw_requests_total{auth="none",outcome="forwarded",class="2xx"}')).toBe(1);
    expect(delta('hlgw_requests_total{auth="bearer",outcome="forwarded",class="2xx"}')).toBe(2);
    expect(delta('hlgw_requests_total{auth="bearer",outcome="rejected",class="4xx"}')).toBe(1);
    expect(delta('hlgw_requests_total{auth="malformed",outcome="rejected",class="4xx"}')).toBe(1);
    expect(delta('hlgw_token_validations_total{result="valid"}')).toBe(2);
    expect(delta('hlgw_token_validations_total{result="malformed"}')).toBe(1);
    expect(delta('hlgw_token_cache_requests_total{result="hit"}')).toBe(1);
    expect(delta('hlgw_token_cache_requests_total{result="miss"}')).toBe(2);
    expect(value(after, 'hlgw_token_cache_entries')).toBe(1);
    expect(delta('hlgw_request_duration_seconds_count{auth="bearer"}')).toBe(3);
    expect(delta('hlgw_upstream_duration_seconds_count')).toBe(4);
    expect(after).toContain('hlgw_process_resident_memory_bytes');
  });

  it('counts each status class of what the client was answered: 2xx, 3xx, 4xx, 5xx (upstream answers and the gateway\'s own)', async () => {
    const before = (await call(t.admin, '/metrics')).text;
    up.respond = (req, res) => {
      const status = Number(req.url!.slice(1));
      res.writeHead(status, status === 302 ? { location: '/elsewhere' } : {});
      res.end();
    };
    try {
      for (const status of [200, 204, 302, 404, 503, 500]) expect((await call(t.url, `/${status}`)).status).toBe(status);
    } finally {
      up.respond = undefined;
    }
    const rejected = await call(t.url, '/x', { headers: { authorization: 'Bearer x.y.z.w.v' } });
    expect(rejected.status).toBe(401);
    const after = (await call(t.admin, '/metrics')).text;
    const delta = (s: string) => value(after, s) - value(before, s);
    expect(delta('hlgw_requests_total{auth="none",outcome="forwarded",class="2xx"}')).toBe(2);
    expect(delta('hlgw_requests_total{auth="none",outcome="forwarded",class="3xx"}')).toBe(1);
    expect(delta('hlgw_requests_total{auth="none",outcome="forwarded",class="4xx"}')).toBe(1);
    expect(delta('hlgw_requests_total{auth="none",outcome="forwarded",class="5xx"}')).toBe(2);
    expect(delta('hlgw_requests_total{auth="bearer",outcome="rejected",class="4xx"}')).toBe(1);
    // Every class of every auth and outcome exists from the start: rate() over a class never meets an absent series.
    for (const a of ['none', 'basic', 'bearer', 'other', 'malformed']) {
      for (const o of ['forwarded', 'rejected', 'endpoint']) {
        for (const c of ['2xx', '3xx', '4xx', '5xx']) expect(after).toMatch(new RegExp(`^hlgw_requests_total\\{auth="${a}",outcome="${o}",class="${c}"\\} \\d+$`, 'm'));
      }
    }
  });

  it('labels calls to the /auth endpoints by the credential they carry', async () => {
    const before = (await call(t.admin, '/metrics')).text;
    await call(t.url, '/auth/tokens', { headers: { authorization: BASIC } });
    await call(t.url, '/auth/tokens', { headers: { authorization: `Bearer ${token}` } });
    await call(t.url, '/auth/tokens');
    const after = (await call(t.admin, '/metrics')).text;
    const delta = (s: string) => value(after, s) - value(before, s);
    expect(delta('hlgw_requests_total{auth="basic",outcome="endpoint",class="4xx"}')).toBe(1);
    expect(delta('hlgw_requests_total{auth="bearer",outcome="endpoint",class="2xx"}')).toBe(1);
    expect(delta('hlgw_requests_total{auth="none",outcome="endpoint",class="4xx"}')).toBe(1);
  });

  it('sends the configured service credential upstream on Bearer requests only', async () => {
    await call(t.url, '/svc', { headers: { authorization: `Bearer ${token}` } });
    expect(up.last!.headers.authorization).toBe('Basic c3ZjOnN2Yy1zZWNyZXQ=');
    await call(t.url, '/svc', { headers: { authorization: BASIC } });
    expect(up.last!.headers.authorization).toBe(BASIC);
  });

  it('puts no user, company or token value in metric labels', async () => {
    const text = (await call(t.admin, '/metrics')).text;
    for (const secret of ['acme', 'alice', 'u-42', token.slice(0, 20), 'YWxpY2U']) expect(text).not.toContain(secret);
  });

  it('/healthz and /readyz answer JSON on the admin port only', async () => {
    expect((await call(t.admin, '/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await call(t.admin, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
    // The proxy port forwards /metrics like any other path: it is the upstream's business.
    await call(t.url, '/metrics');
    expect(up.last!.url).toBe('/metrics');
  });

  it('never writes a password, token or pass phrase to the logs', async () => {
    await call(t.url, '/x', { headers: { authorization: `Bearer ${token}junk` } });
    const joined = t.logs.join('\n');
    expect(t.logs.length).toBeGreaterThan(0);
    for (const secret of [token, PASSPHRASE, 'super-secret-pw', 'YWxpY2U6c3VwZXItc2VjcmV0LXB3', 'c3ZjOnN2Yy1zZWNyZXQ=']) {
      expect(joined).not.toContain(secret);
    }
  });
});
