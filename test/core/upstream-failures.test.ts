import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';

/** A port nothing listens on: bind, note the port, close. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.each<ForwarderName>(['undici', 'http-proxy'])('upstream failures via %s', (forwarder) => {
  let up: RecordingUpstream;
  let slow: TestGateway;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    slow = await startGateway({ upstreamUrl: up.url, forwarder, config: { upstream: { timeoutMs: 300 } } });
  });
  afterAll(async () => {
    await slow.close();
    await up.stop();
  });

  it('upstream unreachable → 502 with a JSON body and no stack trace', async () => {
    const t = await startGateway({ upstreamUrl: `http://127.0.0.1:${await deadPort()}`, forwarder });
    try {
      const r = await call(t.url, '/WS2/x');
      expect(r.status).toBe(502);
      expect(r.json()).toEqual({ error: 'bad_gateway', error_description: 'upstream unreachable', code: 'upstream_unreachable' });
      expect(r.text).not.toMatch(/ECONNREFUSED|at .*\.js/);
      const m = await t.gw.metrics.registry.getSingleMetricAsString('hlgw_upstream_errors_total');
      expect(m).toContain('hlgw_upstream_errors_total{kind="unreachable"} 1');
    } finally {
      await t.close();
    }
  });

  it('upstream silent past upstream.timeoutMs → 504 with a JSON body', async () => {
    up.streaming = () => undefined; // accepts, never answers
    const r = await call(slow.url, '/WS2/slow');
    up.streaming = undefined;
    expect(r.status).toBe(504);
    expect(r.json()).toMatchObject({ error: 'gateway_timeout', code: 'upstream_timeout' });
  });

  it('upstream dies after sending headers → the client connection is closed, not a fake success', async () => {
    up.streaming = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setImmediate(() => res.socket?.destroy());
    };
    const outcome = await new Promise<string>((resolve) => {
      const req = request(`${slow.url}/WS2/dies`, { agent: false }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('ended cleanly'));
        res.on('error', () => resolve('connection closed'));
        res.on('aborted', () => resolve('connection closed'));
      });
      req.on('error', () => resolve('connection closed'));
      req.end();
    });
    up.streaming = undefined;
    expect(outcome).toBe('connection closed');
  });
});

describe.each<ForwarderName>(['undici', 'http-proxy'])('forwarding options via %s', (forwarder) => {
  let up: RecordingUpstream;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
  });
  afterAll(() => up.stop());

  it('believes X-Forwarded-* only from server.trustedProxies, appending the peer', async () => {
    const t = await startGateway({ upstreamUrl: up.url, forwarder, config: { server: { trustedProxies: ['127.0.0.1'] } } });
    try {
      await call(t.url, '/x', { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example' } });
      expect(up.last!.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(up.last!.headers['x-forwarded-proto']).toBe('https');
      expect(up.last!.headers['x-forwarded-host']).toBe('api.example');
    } finally {
      await t.close();
    }
  });

  it('upstream.preserveHost sends the client Host upstream', async () => {
    const t = await startGateway({ upstreamUrl: up.url, forwarder, config: { upstream: { preserveHost: true } } });
    try {
      await call(t.url, '/x', { headers: { host: 'api.highlight.example' } });
      expect(up.last!.headers.host).toBe('api.highlight.example');
    } finally {
      await t.close();
    }
  });
});
