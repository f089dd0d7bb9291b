import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { call } from '../support/http-call.js';
import { RawConnection } from '../support/raw-http.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway } from '../support/start-gateway.js';

const FORWARDERS: ForwarderName[] = ['undici', 'http-proxy'];
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: gw.example\r\n\r\n`;

/** The upstream holds requests to /hold/* until released; everything else is answered at once. */
function holdingUpstream(up: RecordingUpstream) {
  const held = new Map<string, ServerResponse>();
  const waiters = new Map<string, () => void>();
  up.streaming = (req, res) => {
    req.resume();
    if (!req.url?.startsWith('/hold/')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('now');
      return;
    }
    held.set(req.url, res);
    waiters.get(req.url)?.();
  };
  return {
    arrived: (url: string) => new Promise<void>((r) => (held.has(url) ? r() : waiters.set(url, r))),
    res: (url: string) => held.get(url)!,
    release(url: string, body = 'finished') {
      const res = held.get(url)!;
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(body);
    },
  };
}

describe.each(FORWARDERS)('shutdown (%s forwarder)', (forwarder) => {
  let up: RecordingUpstream;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
  });
  afterAll(() => up.stop());

  it('lets a request in flight finish, answered with Connection: close, and refuses new connections meanwhile', async () => {
    const t = await startGateway({ upstreamUrl: up.url, forwarder });
    const hold = holdingUpstream(up);
    const c = await RawConnection.open(t.url);
    c.send(GET('/hold/slow'));
    await hold.arrived('/hold/slow');
    const closed = t.close();
    await expect(call(t.url, '/new')).rejects.toThrow(/ECONNREFUSED/);
    hold.release('/hold/slow');
    const r = await c.next();
    expect(r?.status).toBe(200);
    expect(r?.body.toString()).toBe('finished');
    expect(r?.headers.connection).toBe('close');
    await c.closed;
    await closed;
  });

  it('drain: /readyz 503, still serving new connections, every answer Connection: close', async () => {
    const t = await startGateway({ upstreamUrl: up.url, forwarder });
    holdingUpstream(up);
    // A keep-alive connection a load balancer holds, used once before the drain.
    const lb = await RawConnection.open(t.url);
    lb.send(GET('/before'));
    expect((await lb.next())?.headers.connection).toBe('keep-alive');
    expect((await call(t.admin, '/readyz')).status).toBe(200);

    t.gw.drain();
    const ready = await call(t.admin, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not_ready', reason: 'shutting down' });
    // The next request on the held connection is served, then that connection is closed by us.
    lb.send(GET('/during'));
    const during = await lb.next();
    expect(during?.status).toBe(200);
    expect(during?.headers.connection).toBe('close');
    await lb.closed;
    // New connections are still accepted while the balancer takes the instance out.
    const fresh = await call(t.url, '/fresh');
    expect(fresh.status).toBe(200);
    await t.close();
  });

  it('close: idle keep-alive connections are closed, a response already under way completes first', async () => {
    const t = await startGateway({ upstreamUrl: up.url, forwarder });
    const hold = holdingUpstream(up);
    const idle = await RawConnection.open(t.url);
    idle.send(GET('/once'));
    expect((await idle.next())?.status).toBe(200);
    // Its head is out (keep-alive) before the stop; its body comes after.
    const streaming = await RawConnection.open(t.url);
    streaming.send(GET('/hold/stream'));
    await hold.arrived('/hold/stream');
    const res = hold.res('/hold/stream');
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    res.write('part one, ');
    await new Promise((r) => setTimeout(r, 50));

    const closed = t.close();
    await idle.closed;
    expect(streaming.isClosed).toBe(false);
    hold.release('/hold/stream', 'part two');
    const r = await streaming.next();
    expect(r?.status).toBe(200);
    expect(r?.body.toString()).toBe('part one, part two');
    // Complete, then idle: closed without waiting for the cut.
    await streaming.closed;
    await closed;
  });
});
