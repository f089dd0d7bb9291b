import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { ErrorResponder } from '../../src/http/error-responses.js';
import type { UpstreamErrorKind } from '../../src/metrics/metrics.js';
import type { Forwarder, ForwarderName, ForwarderOptions } from '../../src/proxy/forwarder.js';
import { createHttpProxyForwarder } from '../../src/proxy/http-proxy-forwarder.js';
import { createUndiciForwarder } from '../../src/proxy/undici-forwarder.js';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';

/**
 * A token id with CR/LF once reached http-proxy, whose http.request() threw inside the
 * server's 'request' listener and ended the process. Whatever a forwarder's HTTP client refuses,
 * the request gets a 502 and the process serves the next one. The bad value is planted right
 * before `forward` (the gateway's own steps refuse such values earlier, when the token is opened): this tests
 * the forwarder's contract on its own.
 */
const BAD_VALUES: Array<[string, string]> = [
  ['CR LF', 'abc\r\nX-Highlight-User-Id: admin'],
  ['a bare LF', 'abc\ndef'],
  ['a NUL', 'abc\0def'],
];

describe.each<ForwarderName>(['undici', 'http-proxy'])('a synchronous failure inside the %s forwarder', (name) => {
  let up: RecordingUpstream;
  let server: Server;
  let base: string;
  let forwarder: Forwarder;
  const failures: UpstreamErrorKind[] = [];
  let done = 0;
  let plant: string | undefined;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    const errors = new ErrorResponder('test');
    const o: ForwarderOptions = {
      target: new URL(up.url),
      timeoutMs: 5_000,
      connections: 4,
      onDone: () => { done++; },
      onUpstreamResponse: () => undefined,
      onFailure(_req, res, kind) {
        failures.push(kind);
        errors.send(res, new GatewayError(kind === 'request' ? 'forward_failed' : 'upstream_unreachable'));
      },
    };
    forwarder = name === 'undici' ? createUndiciForwarder(o) : createHttpProxyForwarder(o);
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (plant !== undefined) req.headers['x-highlight-token-id'] = plant;
      forwarder.forward(req, res, 'none', 'bearer', performance.now());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await forwarder.close();
    await up.stop();
  });

  it.each(BAD_VALUES)('a header value with %s → 502 forward_failed, nothing sent, the next request served', async (_what, value) => {
    up.requests.length = 0;
    failures.length = 0;
    const doneBefore = done;
    plant = value;
    const r = await call(base, '/WS2/me');
    plant = undefined;
    expect(r.status).toBe(502);
    expect(r.json()).toMatchObject({ error: 'bad_gateway', code: 'forward_failed' });
    expect(failures).toEqual(['request']);
    expect(up.arrived.filter((a) => a.url === '/WS2/me')).toEqual([]);

    // Still alive: the same process forwards the next request.
    const next = await call(base, '/WS2/next');
    expect(next.status).toBe(200);
    expect(up.requests.map((q) => q.url)).toEqual(['/WS2/next']);
    expect(done - doneBefore).toBe(2); // each exchange reported once
  });
});
