import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { RawConnection } from '../support/raw-http.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';

const FORWARDERS: ForwarderName[] = ['undici', 'http-proxy'];
const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: gw.example\r\n${extra}\r\n`;

// RFC 9112 §9.6: a client's `Connection: close` is answered with `Connection: close`, and the
// server closes after that response. The upstream's own keep-alive is hop-by-hop: never relayed.
describe.each(FORWARDERS)('Connection: close from the client (%s forwarder)', (forwarder) => {
  let up: RecordingUpstream;
  let t: TestGateway;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    up.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive', 'keep-alive': 'timeout=30' });
      res.end('ok');
    };
    t = await startGateway({ upstreamUrl: up.url, forwarder });
  });
  afterAll(async () => {
    await t.close();
    await up.stop();
  });

  it('answers with Connection: close and closes the connection', async () => {
    const c = await RawConnection.open(t.url);
    c.send(GET('/close-me', 'Connection: close\r\n'));
    const r = await c.next();
    expect(r?.status).toBe(200);
    expect(r?.body.toString()).toBe('ok');
    expect(r?.headers.connection).toBe('close');
    expect(r?.headers['keep-alive']).toBeUndefined();
    await c.closed;
  });

  it('keeps the connection open for a client that did not ask to close', async () => {
    const c = await RawConnection.open(t.url);
    c.send(GET('/first'));
    const first = await c.next();
    expect(first?.status).toBe(200);
    expect(first?.headers.connection).toBe('keep-alive');
    c.send(GET('/second', 'Connection: close\r\n'));
    const second = await c.next();
    expect(second?.status).toBe(200);
    expect(second?.headers.connection).toBe('close');
    await c.closed;
  });
});
