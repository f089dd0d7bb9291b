import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from '../../support/gateway-process.js';
import { call } from '../../support/http-call.js';
import { usersFilePath } from '../../support/lifecycle.js';
import { RecordingUpstream } from '../../support/recording-upstream.js';
import { RedisServer } from '../../support/redis-server.js';
import { lacks } from '../../support/requires.js';
import { TestSamlIdp } from '../../support/saml-idp.js';

const WORKERS = 3;
const SIGN_INS = 9;
const PROVIDER = 'acme-saml';

/**
 * `server.workers`: each HTTP request on a fresh connection goes to any worker (node:cluster
 * spreads them), so a sign-in's start and its ACS post usually land on different processes.
 * With the pending sign-in in process memory most of these failed; in the store every one
 * succeeds (dist/, real clock).
 */
describe.each((['sqlite', 'redis'] as const).filter((k) => k !== 'redis' || !lacks('redis-server')))('SAML sign-in with server.workers on %s', (kind) => {
  const redis = new RedisServer();
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-saml-workers-'));
  const idp = new TestSamlIdp({ 'saml-user': { email: 'saml.user@acme.example', company_id: 'acme' } }, () => Date.now());
  let g: GatewayProcess;

  beforeAll(async () => {
    await upstream.start();
    if (kind === 'redis') await redis.start();
    const entryPoint = await idp.listen();
    const store = kind === 'redis' ? { type: 'redis', url: redis.url } : { type: 'sqlite', path: join(dir, 'hlgw.db') };
    g = await GatewayProcess.start(`saml-workers-${kind}`, {
      server: { workers: WORKERS }, upstream: { url: upstream.url }, store,
      users: {
        source: 'file', file: await usersFilePath(),
        sso: { providers: [{ type: 'saml', name: PROVIDER, displayName: 'Acme SAML', entryPoint, idpIssuer: idp.entityId, idpCertFile: idp.certFile, companies: ['acme'] }] },
      },
    });
  });

  afterAll(async () => {
    await g?.stop();
    await Promise.allSettled([redis.stop(), upstream.stop(), idp.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${SIGN_INS} sign-ins, each start and ACS post on its own connection: every one opens a session`, async () => {
    const outcomes: number[] = [];
    for (let i = 0; i < SIGN_INS; i++) {
      const started = await call(g.url, `/auth/ui/sso/${PROVIDER}/start`);
      const cookie = String(([] as string[]).concat(started.headers['set-cookie'] ?? [])[0]).split(';')[0]!;
      const response = idp.respond(TestSamlIdp.readRequest(new URL(started.headers.location!)), 'saml-user');
      const acs = await call(g.url, `/auth/ui/sso/${PROVIDER}/acs`, {
        method: 'POST', headers: { origin: g.url, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLResponse: response }).toString(),
      });
      outcomes.push(acs.status);
    }
    expect(outcomes).toEqual(Array(SIGN_INS).fill(303));
  });
});
