import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { MasterKey } from '../../src/secrets/master-key.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { eventually } from '../support/gateway-process.js';
import { LifecycleGateway, type DemoUser } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { TREE_POINTERS, treeDirectory } from '../support/tree-directory.js';
import { sharedRedisUrl } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';
import { startGateway } from '../support/start-gateway.js';

const U = {
  rita: { login: 'rita@hold.example', password: 'rita-Pw-1!', userId: 'r-1', companyId: 'hold', roles: ['portfolioManager'] },
  eve: { login: 'eve@hold.example', password: 'eve-Pw-2!', userId: 'e-1', companyId: 'emea', roles: ['portfolioManager'] },
  fred: { login: 'fred@hold.example', password: 'fred-Pw-3!', userId: 'f-1', companyId: 'emea-fr', roles: [] },
  otto: { login: 'otto@other.example', password: 'otto-Pw-5!', userId: 'o-1', companyId: 'other', roles: ['portfolioManager'] },
} satisfies Record<string, DemoUser>;

/**
 * The portfolio tree across instances: two gateways on one Redis (same key prefix, same master key), the
 * tree taught by the upstream probe on one of them. Every instance must derive the same root to
 * open a token, and a move must void the tokens everywhere, cached ones included.
 */
describe.skipIf(lacks('redis-server'))('the portfolio tree on two instances sharing one Redis', () => {
  const directory = new RecordingUpstream();
  const ancestors: Record<string, string[]> = { hold: [], emea: ['hold'], 'emea-fr': ['hold', 'emea'], other: [] };
  const stores: RedisStore[] = [];
  let a: LifecycleGateway;
  let b: LifecycleGateway;

  beforeAll(async () => {
    directory.respond = treeDirectory(U, () => ancestors);
    await directory.start();
    const prefix = `t${randomBytes(6).toString('hex')}`;
    const masterKey = MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');
    const start = async () => {
      const store = await RedisStore.open({ url: sharedRedisUrl(), prefix, log: createLogger('silent') });
      stores.push(store);
      return new LifecycleGateway(await startGateway({
        upstreamUrl: directory.url, store, masterKey,
        config: {
          users: {
            source: 'upstream', path: '/WS2/me', cacheSeconds: 0,
            pointers: TREE_POINTERS,
          },
          portfolios: { allowed: ['hold', 'other'] },
        },
      }));
    };
    [a, b] = [await start(), await start()];
  });
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await Promise.allSettled(stores.map((s) => s.close()));
    await directory.stop();
  });

  const status = (g: LifecycleGateway, token: string) => async () => (await g.useToken(token)).status;

  it('a token issued on A for a sub-company validates on B, sealed for the root A learned', async () => {
    await a.enable(U.rita);
    const fr = await a.issue(U.fred);
    await eventually('B accepts the token', async () => (await status(b, fr.access_token)()) === 200);
    expect(directory.last!.headers['x-highlight-portfolio-id']).toBe('hold');
    expect(b.t.gw.state.portfolioIdOf('emea-fr')).toBe('hold');
  });

  it('a move taught on A voids the tokens on both instances, B\'s cached copy included; the new root works on both', async () => {
    await a.enable(U.otto);
    const fr = await a.issue(U.fred);
    await eventually('B accepts the token', async () => (await status(b, fr.access_token)()) === 200);
    expect((await b.useToken(fr.access_token)).status).toBe(200); // a cache hit on B

    ancestors.emea = ['other'];
    ancestors['emea-fr'] = ['other', 'emea'];
    expect((await a.request('GET', '/auth/tokens', { as: U.eve })).status).toBe(200); // eve's sign-in on A moves emea

    // Not cached on A: it no longer opens with the new root's key.
    expect((await a.useToken(fr.access_token)).status).toBe(401);
    // The first refusal on B comes from its cache entry (then dropped: a later use is a miss, which no longer opens).
    let refusal: unknown;
    await eventually('B refuses the moved token', async () => {
      const r = await b.useToken(fr.access_token);
      refusal = r.json();
      return r.status === 401;
    });
    expect(refusal).toMatchObject({ code: 'token_revoked' });
    await eventually('B has the revocation itself', async () => b.t.gw.state.isRevoked(fr.token_id));

    const again = await b.issue(U.fred);
    expect(b.t.gw.state.portfolioIdOf('emea-fr')).toBe('other');
    await eventually('A accepts the token issued on B', async () => (await status(a, again.access_token)()) === 200);
    expect(directory.last!.headers['x-highlight-portfolio-id']).toBe('other');
  });

  it('B applied every change it received without a listener failing, and measured the tree changes', async () => {
    expect(b.t.logs.join('')).not.toContain('state change listener failed');
    expect(await b.t.gw.metrics.registry.metrics()).toMatch(/^hlgw_state_propagation_seconds_count\{kind="company"\} [1-9]/m);
  });
});

