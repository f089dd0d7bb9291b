import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess, eventually } from '../support/gateway-process.js';
import { RawConnection } from '../support/raw-http.js';
import { RecordingUpstream } from '../support/recording-upstream.js';

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: gw.example\r\n\r\n`;

/**
 * The SIGTERM sequence of `hlgw serve` as a process (src/cli/stop-on-signals.ts,
 * src/http/drain.ts), alone and under server.workers (the primary drains its workers): /readyz
 * turns 503 while the proxy port still serves, with `Connection: close`; a second SIGTERM skips
 * the rest of server.shutdownDelaySeconds (set long here, so nothing depends on timing).
 */
describe.each([1, 2])('SIGTERM with server.workers: %i', (workers) => {
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-drain-'));
  let g: GatewayProcess;

  beforeAll(async () => {
    await upstream.start();
    g = await GatewayProcess.start(`drain-${workers}`, {
      server: { workers, shutdownDelaySeconds: 300 },
      upstream: { url: upstream.url },
      store: { type: 'sqlite', path: join(dir, 'hlgw.db') },
    });
  });
  afterAll(async () => {
    await g?.stop();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('turns /readyz to 503, keeps serving with Connection: close, exits 0 on the second SIGTERM', async () => {
    expect((await g.admin_('/readyz')).status).toBe(200);
    // A keep-alive connection a load balancer holds.
    const held = await RawConnection.open(g.url);
    held.send(GET('/before'));
    expect((await held.next())?.headers.connection).toBe('keep-alive');

    g.signal('SIGTERM');
    await eventually('/readyz answers 503', async () => (await g.admin_('/readyz')).status === 503);
    expect((await g.admin_('/readyz')).json()).toMatchObject({ status: 'not_ready' });
    expect((await g.admin_('/readyz')).text).toContain('shutting down');

    // Still served on the held connection; once the drain has reached its process, the answer
    // says close and the gateway closes the connection after it.
    await eventually('an answer with Connection: close on the held connection', async () => {
      held.send(GET('/during'));
      const r = await held.next();
      expect(r?.status).toBe(200);
      if (r?.headers.connection === 'close') return true;
      await sleep(20);
      return false;
    });
    await held.closed;
    // New connections are still accepted, and answered with close (under workers, by whichever
    // worker takes it, once the primary's drain message has reached that one).
    await eventually('a new connection answered with Connection: close', async () => {
      const fresh = await RawConnection.open(g.url);
      fresh.send(GET('/fresh'));
      const r = await fresh.next();
      expect(r?.status).toBe(200);
      fresh.destroy();
      return r?.headers.connection === 'close';
    });

    g.signal('SIGTERM');
    expect(await g.exitCode()).toBe(0);
    expect(g.logs).toContain('serving 300 s more (server.shutdownDelaySeconds)');
    expect(g.logs).toContain('SIGTERM again, shutting down now');
  });
});
