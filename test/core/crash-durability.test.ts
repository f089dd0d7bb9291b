import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from '../support/gateway-process.js';
import { USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';

/**
 * The embedded store's promise: a write acknowledged to a client survives a crash of the
 * gateway process (SIGKILL right after the answer, no shutdown code runs).
 */
describe('SQLite store: acknowledged writes survive a process crash', () => {
  let up: RecordingUpstream;
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-crash-'));
  const config = () => ({ upstream: { url: up.url }, store: { type: 'sqlite', path: join(dir, 'hlgw.db') } });

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
  });
  afterAll(async () => {
    await up.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('policy, issued tokens and a revocation made just before SIGKILL are all there after a restart', async () => {
    const a = await GatewayProcess.start('crash-a', config());
    let kept: string;
    let revoked: { access_token: string; token_id: string };
    try {
      await a.enable();
      kept = (await a.issue(USERS.alice)).access_token;
      revoked = await a.issue(USERS.bob);
      expect((await a.useToken(revoked.access_token)).status).toBe(200);
      await a.revoke(revoked.token_id); // 204 acknowledged...
    } finally {
      await a.crash(); // ...and the process dies at once
    }
    const b = await GatewayProcess.start('crash-b', config());
    try {
      expect((await b.useToken(kept)).status).toBe(200);
      const r = await b.useToken(revoked.access_token);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toContain('error_description="revoked"');
    } finally {
      await b.stop();
    }
  });
});
