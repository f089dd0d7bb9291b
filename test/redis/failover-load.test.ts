import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FailoverLoad } from '../support/failover-load.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';

/**
 * The failover suites' own yardstick: a gateway that does not answer at all must not pass for one
 * that served. Its requests count as unanswered, and nothing counts as served after it stopped.
 */
describe('FailoverLoad counts a gateway that does not answer as a failure', () => {
  const upstream = new RecordingUpstream();
  afterAll(() => upstream.stop());

  it('a request with no answer is counted as unanswered, never as served', { timeout: 30_000 }, async () => {
    await upstream.start();
    const g = await GatewayProcess.start('gone', { upstream: { url: upstream.url } });
    await g.enable();
    const steady = await g.issue(USERS.manager);
    await g.stop();
    const stoppedAt = Date.now();

    const load = new FailoverLoad(steady.access_token, [g], [{ name: 'S', gateway: g, user: USERS.alice }]);
    load.start(2_000);
    await sleep(300);
    await load.stop();
    expect(load.unanswered).toBeGreaterThan(0);
    expect(load.servedBy(g.name, stoppedAt)).toBe(0);
    expect(load.bearer5xx).toBe(0); // why the 5xx count alone proved nothing
  });
});
