import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminServer, type MetricsSource, type ReadinessCheck } from '../../src/admin/admin-server.js';
import { call } from '../support/http-call.js';

/** The admin listener shares the process with the proxy port: nothing it meets may end it. */
describe('admin listener: a failing part becomes an answer', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function serve(source: MetricsSource, ready: ReadinessCheck): Promise<string> {
    const server = createAdminServer(source, ready);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => new Promise((r) => server.close(() => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('a readiness check or metrics source that throws instead of rejecting: 500, and the listener still answers', async () => {
    const boom = (): never => { throw new Error('broken part'); };
    const url = await serve({ contentType: 'text/plain', metrics: boom }, boom);
    for (const path of ['/readyz', '/metrics']) {
      const r = await call(url, path);
      expect(r.status).toBe(500);
      expect(r.text).not.toContain('broken part');
    }
    expect((await call(url, '/healthz')).status).toBe(200);
  });
});
