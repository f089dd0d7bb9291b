import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterKey } from '../../src/secrets/master-key.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { PASSPHRASE, startGateway } from '../support/start-gateway.js';

const newMasterKey = () => MasterKey.fromBase64(randomBytes(32).toString('base64'), 'test');

describe('start-up edges', () => {
  let up: RecordingUpstream;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
  });
  afterAll(async () => {
    await up.stop();
  });

  describe.each([
    ['one process', {}],
    ['server.workers: 2', { server: { workers: 2 } }],
  ])('the upstream URL password never reaches the log or the banner (%s)', (_name, extra) => {
    it('prints the URL with the password masked', async () => {
      const secret = 'Upstream-S3cret-pw';
      const u = new URL(up.url);
      const g = await GatewayProcess.start('redact', { ...extra, upstream: { url: `http://svc:${secret}@${u.host}` }, log: { level: 'info' } });
      try {
        expect((await call(g.url, '/WS2/ping')).status).toBe(200);
        expect(g.logs).toContain('hlgw listening');
        expect(g.logs).toContain(`upstream: http://svc:***@${u.host}`);
        expect(g.logs).not.toContain(secret);
      } finally {
        await g.stop();
      }
    });
  });

  it('a wrong master key: /readyz is 503 with a count of portfolios, one log line names them; new pass phrases make it ready again', async () => {
    const store = new SqliteStore(':memory:');
    const first = await startGateway({ upstreamUrl: up.url, store, masterKey: newMasterKey() });
    for (const co of ['acme', 'globex']) await first.gw.portfolios.update(co, { enabled: true, passphrase: PASSPHRASE, durationMinutes: 60 });
    const token = (await first.gw.tokens.issue({ userId: 'u-1', login: 'a@acme.example', companyId: 'acme' })).token;
    await first.close();

    const t = await startGateway({ upstreamUrl: up.url, store, masterKey: newMasterKey() });
    try {
      const ready = await call(t.admin, '/readyz');
      expect(ready.status).toBe(503);
      // The admin port answers anyone who reaches it: a count, never the portfolios' names.
      expect(ready.json<{ reason: string }>().reason).toBe('master key mismatch: cannot unseal the key of 2 portfolios (their ids are in the log)');
      for (let i = 0; i < 3; i++) expect((await call(t.admin, '/readyz')).json<{ reason: string }>().reason).not.toMatch(/acme|globex/);
      // The names are in the log, once per change of the set, not once per probe.
      const lines = t.logs.filter((l) => l.includes('master key'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/acme.*globex/);
      expect(lines[0]).toContain('"level":50');
      expect(lines[0]).toContain('tokens must then be re-issued');
      expect((await call(t.url, '/x', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);

      await t.gw.portfolios.update('acme', { passphrase: 'a fresh pass phrase for acme' });
      const still = await call(t.admin, '/readyz');
      expect(still.status).toBe(503);
      expect(still.json<{ reason: string }>().reason).toBe('master key mismatch: cannot unseal the key of 1 portfolio (their ids are in the log)');
      await t.gw.portfolios.update('globex', { passphrase: 'a fresh pass phrase for globex' });
      expect((await call(t.admin, '/readyz')).status).toBe(200);
    } finally {
      await t.close();
      await store.close();
    }
  });
});
