import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The value of one series on the real admin port's /metrics (NaN when absent). */
async function sample(t: TestGateway, series: string): Promise<number> {
  const text = (await call(t.admin, '/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

describe('hlgw_build_info and the token counters, on /metrics of a real gateway', () => {
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

  it('names the version in package.json and the Node.js runtime', async () => {
    expect(await sample(t, `hlgw_build_info{version="${VERSION}",node="${process.version}"}`)).toBe(1);
  });

  it('starts every series at 0', async () => {
    expect(await sample(t, 'hlgw_tokens_issued_total')).toBe(0);
    for (const reason of ['revoked', 'renewed', 'reparented']) {
      expect(await sample(t, `hlgw_tokens_revoked_total{reason="${reason}"}`)).toBe(0);
    }
  });

  it('counts issues, renewals (the previous token revoked as renewed) and revocations by reason', async () => {
    await enableAndIssue(t);
    const second = await enableAndIssue(t); // the same user again: a renewal
    expect(second.revoked).toHaveLength(1);
    expect(await t.gw.tokens.revoke(second.record.tokenId)).toBe(true);
    expect(await t.gw.tokens.revoke(second.record.tokenId)).toBe(false); // already revoked: not counted again
    const other = await enableAndIssue(t, 'acme', { userId: 'u-7', login: 'bob@acme.example' });
    expect(await t.gw.tokens.revoke(other.record.tokenId, 'reparented')).toBe(true);

    expect(await sample(t, 'hlgw_tokens_issued_total')).toBe(3);
    expect(await sample(t, 'hlgw_tokens_revoked_total{reason="renewed"}')).toBe(1);
    expect(await sample(t, 'hlgw_tokens_revoked_total{reason="revoked"}')).toBe(1);
    expect(await sample(t, 'hlgw_tokens_revoked_total{reason="reparented"}')).toBe(1);
  });
});
