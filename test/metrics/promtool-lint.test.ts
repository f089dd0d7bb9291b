import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { promtool } from '../support/promtool.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { lacks } from '../support/requires.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * What many teams run in CI against every exporter: `promtool check metrics` on the real admin
 * port's /metrics, after traffic of every kind so every labelled series exists.
 */
describe.skipIf(lacks('promtool'))('/metrics under promtool check metrics', () => {
  let up: RecordingUpstream;
  let t: TestGateway;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    t = await startGateway({ upstreamUrl: up.url });
    const { token } = await enableAndIssue(t);
    await call(t.url, '/a', { headers: { authorization: `Bearer ${token}` } });
    await call(t.url, '/b', { headers: { authorization: 'Bearer x.y.z.w.v' } });
    await call(t.url, '/c', { headers: { authorization: 'Basic YTpi' } });
    await call(t.url, '/auth/tokens');
  });
  afterAll(async () => {
    await t.close();
    await up.stop();
  });

  it('reports no problem', async () => {
    const text = (await call(t.admin, '/metrics')).text;
    const r = promtool(['check', 'metrics'], text);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('keeps the unsuffixed twins of the gauges promtool refused', async () => {
    const text = (await call(t.admin, '/metrics')).text;
    expect(text).toContain('# TYPE hlgw_nodejs_active_handles gauge');
    expect(text).not.toMatch(/^hlgw_nodejs_active_\w+_total/m);
  });
});
