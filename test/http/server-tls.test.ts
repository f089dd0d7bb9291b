import { X509Certificate } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';
import { TestPki } from '../support/tls-fixtures.js';

interface Answer { status: number; serial: string; reused: boolean; protocol: string | null }

/** One HTTPS request to the gateway; tells which certificate it saw and whether the connection was reused. */
function get(url: string, o: { ca: string; agent?: Agent; cert?: string; key?: string; maxVersion?: 'TLSv1.1' }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/WS2/ping`, { ca: o.ca, agent: o.agent ?? false, cert: o.cert, key: o.key, maxVersion: o.maxVersion }, (res) => {
      const socket = res.socket as TLSSocket;
      const answer = { status: res.statusCode ?? 0, serial: socket.getPeerCertificate().serialNumber, reused: req.reusedSocket, protocol: socket.getProtocol() };
      res.resume();
      res.on('end', () => resolve(answer));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS on the proxy port (server.tls)', () => {
  const pki = new TestPki();
  const first = pki.leaf('gw-1', ['localhost', '127.0.0.1']);
  const second = pki.leaf('gw-2', ['localhost', '127.0.0.1']);
  const client = pki.leaf('client', ['a-client'], { client: true });
  const stranger = pki.leaf('stranger', ['a-stranger'], { client: true, issuer: pki.otherCa });
  // The files the gateway reads: a renewal overwrites them in place, as certbot does.
  const live = { cert: `${pki.dir}/live.crt`, key: `${pki.dir}/live.key` };
  const up = new RecordingUpstream();
  let t: TestGateway;

  beforeAll(async () => {
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    await up.start();
    t = await startGateway({ upstreamUrl: up.url, config: { server: { tls: live } } });
  });
  afterAll(async () => {
    await t.close();
    await up.stop();
    pki.dispose();
  });

  it('serves HTTPS (TLS 1.2+), and tells the upstream X-Forwarded-Proto: https', async () => {
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await get(t.url, { ca: pki.ca.certPem });
    expect(r.status).toBe(200);
    expect(r.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(up.last!.headers['x-forwarded-proto']).toBe('https');
  });

  it('refuses TLS 1.1', async () => {
    await expect(get(t.url, { ca: pki.ca.certPem, maxVersion: 'TLSv1.1' })).rejects.toThrow();
  });

  it('reloadTls(): new connections get the renewed certificate, open ones carry on', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca.certPem });
    try {
      const before = await get(t.url, { ca: pki.ca.certPem, agent });
      expect(before.serial).toBe(serialOf(first.certPem));

      copyFileSync(second.cert, live.cert);
      copyFileSync(second.key, live.key);
      expect(t.gw.reloadTls()).toBe(true);

      const sameConnection = await get(t.url, { ca: pki.ca.certPem, agent });
      expect(sameConnection).toMatchObject({ status: 200, reused: true, serial: serialOf(first.certPem) });
      const fresh = await get(t.url, { ca: pki.ca.certPem });
      expect(fresh).toMatchObject({ status: 200, serial: serialOf(second.certPem) });
    } finally {
      agent.destroy();
    }
  });

  it('a broken renewal is refused and the current certificate stays', async () => {
    const serving = (await get(t.url, { ca: pki.ca.certPem })).serial;
    writeFileSync(live.key, 'not a key');
    expect(() => t.gw.reloadTls()).toThrow('server.tls.key');
    expect((await get(t.url, { ca: pki.ca.certPem })).serial).toBe(serving);
    copyFileSync(second.key, live.key);
  });

  describe('with server.tls.clientCa (mutual TLS)', () => {
    let m: TestGateway;
    beforeAll(async () => {
      m = await startGateway({ upstreamUrl: up.url, config: { server: { tls: { cert: first.cert, key: first.key, clientCa: pki.ca.cert } } } });
    });
    afterAll(() => m.close());

    it('a client certificate from that CA: forwarded', async () => {
      expect((await get(m.url, { ca: pki.ca.certPem, cert: client.certPem, key: client.keyPem })).status).toBe(200);
    });

    it.each([
      ['no client certificate', {}],
      ['a certificate from another CA', { cert: stranger.certPem, key: stranger.keyPem }],
    ])('%s: refused in the handshake', async (_what, creds) => {
      await expect(get(m.url, { ca: pki.ca.certPem, ...creds })).rejects.toThrow();
    });
  });
});

function serialOf(pem: string): string {
  return new X509Certificate(pem).serialNumber;
}
