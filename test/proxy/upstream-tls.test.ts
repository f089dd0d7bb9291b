import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReferencedFiles } from '../../src/cli/check-config-files.js';
import { parseConfig } from '../../src/config/load.js';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { call } from '../support/http-call.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';
import { TestPki, type CertFiles } from '../support/tls-fixtures.js';

/** A real HTTPS upstream on loopback: answers who it saw (the client certificate's CN, if any). */
async function httpsUpstream(server: CertFiles, opts: { clientCa?: CertFiles } = {}): Promise<{ url: string; srv: Server }> {
  const srv = createServer({
    cert: server.certPem, key: server.keyPem,
    ...(opts.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: opts.clientCa.certPem } : {}),
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client: peer?.subject?.CN ?? null }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, srv };
}

function tlsFailures(t: TestGateway): { cause?: string; kind?: string; msg?: string }[] {
  return t.logs.map((l) => JSON.parse(l) as { cause?: string; kind?: string; msg?: string }).filter((l) => l.msg === 'upstream TLS handshake failed');
}

describe.each<ForwarderName>(['undici', 'http-proxy'])('TLS to the upstream via %s (upstream.tls)', (forwarder) => {
  const pki = new TestPki();
  const client = pki.leaf('client', ['hlgw-gateway'], { client: true });
  const ups: Server[] = [];
  let trusted: string;
  let untrusted: string;
  let wrongName: string;
  let expired: string;
  let mtls: string;

  beforeAll(async () => {
    const start = async (c: CertFiles, o?: { clientCa?: CertFiles }) => {
      const u = await httpsUpstream(c, o);
      ups.push(u.srv);
      return u.url;
    };
    trusted = await start(pki.leaf('trusted', ['localhost', '127.0.0.1']));
    untrusted = await start(pki.leaf('untrusted', ['localhost', '127.0.0.1'], { issuer: pki.otherCa }));
    wrongName = await start(pki.leaf('wrong-name', ['api.other.example']));
    expired = await start(pki.leaf('expired', ['localhost', '127.0.0.1'], { days: -1 }));
    mtls = await start(pki.leaf('mtls', ['localhost', '127.0.0.1']), { clientCa: pki.ca });
  });
  afterAll(async () => {
    for (const s of ups) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    pki.dispose();
  });

  async function through(upstreamUrl: string, tls: Record<string, unknown>) {
    const t = await startGateway({ upstreamUrl, forwarder, config: { upstream: { tls } } });
    try {
      const r = await call(t.url, '/WS2/ping');
      const metrics = await t.gw.metrics.registry.getSingleMetricAsString('hlgw_upstream_errors_total');
      return { status: r.status, json: r.json<Record<string, unknown>>(), tlsErrors: Number(/kind="tls"} (\d+)/.exec(metrics)?.[1] ?? 0), failures: tlsFailures(t), logs: t.logs.join('') };
    } finally {
      await t.close();
    }
  }

  it('trusted through upstream.tls.ca: forwarded', async () => {
    const r = await through(trusted, { ca: pki.ca.cert });
    expect(r.status).toBe(200);
    expect(r.tlsErrors).toBe(0);
  });

  it.each([
    ['an untrusted CA', () => untrusted, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['a certificate for another name', () => wrongName, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['an expired certificate', () => expired, 'CERT_HAS_EXPIRED'],
  ])('%s: 502, counted as kind="tls", logged with its cause', async (_what, url, cause) => {
    const r = await through(url(), { ca: pki.ca.cert });
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ code: 'upstream_unreachable' });
    expect(r.tlsErrors).toBe(1);
    expect(r.failures).toEqual([expect.objectContaining({ kind: 'tls', cause })]);
  });

  it('servername: the name the certificate must carry when it is not the URL\'s host', async () => {
    expect((await through(wrongName, { ca: pki.ca.cert, servername: 'api.other.example' })).status).toBe(200);
  });

  it('mutual TLS: refused without a client certificate, forwarded with one', async () => {
    const without = await through(mtls, { ca: pki.ca.cert });
    expect(without.status).toBe(502);
    expect(without.tlsErrors).toBe(1);
    expect(without.failures[0]?.cause).toMatch(/^ERR_SSL_/);
    const withCert = await through(mtls, { ca: pki.ca.cert, cert: client.cert, key: client.key });
    expect(withCert.status).toBe(200);
    expect(withCert.json).toEqual({ client: 'hlgw-gateway' });
  });

  it('rejectUnauthorized: false accepts any certificate, with a loud warning at start', async () => {
    const r = await through(untrusted, { rejectUnauthorized: false });
    expect(r.status).toBe(200);
    expect(r.logs).toContain('upstream.tls.rejectUnauthorized is false: ANY certificate is accepted');
  });
});

describe('hlgw check-config and upstream.tls', () => {
  const pki = new TestPki();
  const a = pki.leaf('a', ['a.example'], { client: true });
  const b = pki.leaf('b', ['b.example'], { client: true });
  afterAll(() => pki.dispose());
  const check = (tls: Record<string, unknown>) =>
    checkReferencedFiles(parseConfig({ upstream: { url: 'https://api.example', tls } }, '<test>', {}), { HLGW_MASTER_KEY: 'x' });

  it.each([
    [{ ca: '/nonexistent/ca.pem' }, 'upstream.tls.ca', 'cannot read /nonexistent/ca.pem (ENOENT)'],
    [{ ca: a.key }, 'upstream.tls.ca', 'is not usable'],
    [{ cert: a.cert, key: b.key }, 'upstream.tls.cert', 'the key does not belong to this certificate'],
  ])('%j is found before serve', async (tls, key, message) => {
    const { problems } = await check(tls);
    expect(problems).toEqual([expect.objectContaining({ path: key, message: expect.stringContaining(message) as string })]);
  });

  it('a usable set passes; cert without key is a config error', async () => {
    expect((await check({ ca: pki.ca.cert, cert: a.cert, key: a.key })).problems).toEqual([]);
    expect(() => parseConfig({ upstream: { tls: { cert: a.cert } } }, '<test>', {})).toThrow('upstream.tls.cert: cert and key go together');
  });
});
