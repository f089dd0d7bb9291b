import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { call } from '../support/http-call.js';
import { rawExchange } from '../support/raw-http.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * Request smuggling, black-box: raw bytes on a TCP connection to the real
 * gateway, a real upstream that records every request its own parser produced. Whatever the
 * client sends, the upstream must parse exactly the requests the gateway accepted, with the
 * same body bytes, and never a request (or identity header) hidden inside another one.
 *
 * The gateway keeps one upstream connection (`upstream.connections: 1`), so after each case a
 * sentinel request travels behind any smuggled bytes: once the upstream has parsed it, it has
 * parsed everything sent before it. A smuggled request that swallows the sentinel as its body
 * turns into a 504 (upstream.timeoutMs), never a hang.
 */

const FORWARDERS: ForwarderName[] = ['undici', 'http-proxy'];
const H = 'Host: gw.example\r\n';
/** A complete request hidden in a body: with a client-chosen identity. */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: up\r\nX-Highlight-User-Id: admin\r\n\r\n';
/** A request whose large body would capture the next client's request, credentials included. */
const CAPTURE = 'POST /capture HTTP/1.1\r\nHost: up\r\nX-Highlight-User-Id: admin\r\nContent-Length: 300\r\n\r\n';
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const FILLERS = Array.from({ length: 1000 }, (_, i) => `X-Filler-${i}: ${i}\r\n`).join('');

interface Case {
  name: string;
  bytes: string;
  /** Status of each answer the client gets, in order. */
  statuses: number[];
  /** What the upstream must have received, complete and in order. */
  upstream: Array<{ method: string; url: string; body: string }>;
  /** A body that fails to parse after its head was accepted: the head may reach the upstream, never a complete request. */
  headMayArrive?: true;
  /** The upstream may have received only the first of `upstream` (a race with a refusal of later bytes). */
  upstreamPrefix?: true;
}

const CASES: Case[] = [
  // Framing conflicts Node's parser (llhttp, strict) refuses before the gateway sees anything.
  { name: 'CL.TE: Content-Length and Transfer-Encoding, CL first', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`, statuses: [400], upstream: [] },
  { name: 'TE.CL: Transfer-Encoding and Content-Length, TE first', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'duplicate Content-Length, different values', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: ${5 + SMUGGLED.length}\r\n\r\nhello${SMUGGLED}`, statuses: [400], upstream: [] },
  { name: 'duplicate Content-Length, same value', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, statuses: [400], upstream: [] },
  { name: 'Content-Length as a list', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`, statuses: [400], upstream: [] },
  { name: 'Transfer-Encoding: chunked, identity', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'Transfer-Encoding twice', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${chunk('hello')}0\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'obs-fold hiding an identity header', bytes: `GET / HTTP/1.1\r\n${H}X-Custom: a\r\n X-Highlight-User-Id: admin\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'obs-fold on Transfer-Encoding', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n${chunk('hello')}0\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'bare LF line endings', bytes: `GET / HTTP/1.1\n${H.replace('\r\n', '\n')}X-Highlight-User-Id: admin\n\n`, statuses: [400], upstream: [] },
  { name: 'bare LF inside the head', bytes: `GET / HTTP/1.1\r\n${H.replace('\r\n', '\n')}X-Highlight-User-Id: admin\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'space before the colon of Content-Length', bytes: `POST / HTTP/1.1\r\n${H}Content-Length : 5\r\n\r\nhello`, statuses: [400], upstream: [] },
  { name: 'bare LF inside a chunked body', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n`, statuses: [400], upstream: [], headMayArrive: true },

  // The gateway's own checks (src/http/check-framing.ts).
  { name: 'Connection: content-length on a GET with a body', bytes: `GET / HTTP/1.1\r\n${H}Connection: content-length\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, statuses: [400], upstream: [] },
  { name: 'Connection: Content-Length among others, capture attempt', bytes: `GET / HTTP/1.1\r\n${H}Connection: keep-alive, Content-Length\r\nContent-Length: ${CAPTURE.length}\r\n\r\n${CAPTURE}`, statuses: [400], upstream: [] },
  { name: 'Connection: transfer-encoding on a chunked DELETE', bytes: `DELETE /things/1 HTTP/1.1\r\n${H}Connection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(CAPTURE)}0\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'Connection: host', bytes: `GET / HTTP/1.1\r\n${H}Connection: host\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'Connection: authorization', bytes: `GET / HTTP/1.1\r\n${H}Connection: authorization\r\nAuthorization: Basic YTpi\r\n\r\n`, statuses: [400], upstream: [] },
  { name: 'Connection names an identity header (underscore spelling)', bytes: `GET / HTTP/1.1\r\n${H}Connection: X_Highlight_User_Id\r\n\r\n`, statuses: [400], upstream: [] },
  { name: '1,000 filler headers before Content-Length on a GET', bytes: `GET / HTTP/1.1\r\n${H}${FILLERS}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, statuses: [431], upstream: [] },
  { name: '1,000 filler headers before Transfer-Encoding on a DELETE', bytes: `DELETE / HTTP/1.1\r\n${H}${FILLERS}Transfer-Encoding: chunked\r\n\r\n${chunk(CAPTURE)}0\r\n\r\n`, statuses: [431], upstream: [] },
  { name: 'Transfer-Encoding: gzip, chunked (a coding the gateway does not apply)', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n${chunk('hello')}0\r\n\r\n`, statuses: [501], upstream: [] },
  { name: 'Transfer-Encoding on HTTP/1.0', bytes: `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`, statuses: [400], upstream: [] },

  // Accepted requests: forwarded with exactly the framing Node parsed.
  { name: 'chunked DELETE (http-proxy would turn it into Content-Length: 0)', bytes: `DELETE /things/1 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`, statuses: [200], upstream: [{ method: 'DELETE', url: '/things/1', body: SMUGGLED }] },
  { name: 'GET with a Content-Length body', bytes: `GET /q HTTP/1.1\r\n${H}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, statuses: [200], upstream: [{ method: 'GET', url: '/q', body: SMUGGLED }] },
  { name: 'Transfer-Encoding: Chunked (case-insensitive)', bytes: `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n${chunk('hel')}${chunk('lo')}0\r\n\r\n`, statuses: [200], upstream: [{ method: 'POST', url: '/p', body: 'hello' }] },
  { name: 'chunked body with an identity header in the trailer', bytes: `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${chunk('hello')}0\r\nX-Highlight-User-Id: admin\r\n\r\n`, statuses: [200], upstream: [{ method: 'POST', url: '/p', body: 'hello' }] },
  { name: 'POST whose body is a whole request', bytes: `POST /p HTTP/1.1\r\n${H}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, statuses: [200], upstream: [{ method: 'POST', url: '/p', body: SMUGGLED }] },
  { name: 'pipelined: three GETs in one write', bytes: `GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}\r\nGET /3 HTTP/1.1\r\n${H}\r\n`, statuses: [200, 200, 200], upstream: [{ method: 'GET', url: '/1', body: '' }, { method: 'GET', url: '/2', body: '' }, { method: 'GET', url: '/3', body: '' }] },
  { name: 'pipelined: a POST with a body, then a GET', bytes: `POST /1 HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloGET /2 HTTP/1.1\r\n${H}\r\n`, statuses: [200, 200], upstream: [{ method: 'POST', url: '/1', body: 'hello' }, { method: 'GET', url: '/2', body: '' }] },
  { name: 'pipelined: chunked POST, GET with a body, chunked DELETE', bytes: `POST /1 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${chunk('a')}0\r\n\r\nGET /2 HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nbcDELETE /3 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${chunk('def')}0\r\n\r\n`, statuses: [200, 200, 200], upstream: [{ method: 'POST', url: '/1', body: 'a' }, { method: 'GET', url: '/2', body: 'bc' }, { method: 'DELETE', url: '/3', body: 'def' }] },
  // llhttp refuses bytes after `Connection: close` (HPE_CLOSED_CONNECTION): the first request may be forwarded before that.
  { name: 'pipelined: Connection: close, then a request', bytes: `GET /1 HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET /2 HTTP/1.1\r\n${H}\r\n`, statuses: [400], upstream: [{ method: 'GET', url: '/1', body: '' }], upstreamPrefix: true },
  // Without an 'upgrade' listener Node answers the request and parses nothing after it.
  { name: 'pipelined: an Upgrade request (not proxied), then a request', bytes: `GET /1 HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n${SMUGGLED}`, statuses: [200], upstream: [{ method: 'GET', url: '/1', body: '' }] },
  { name: 'pipelined: a Connection trick, then a request (the connection is closed after the refusal)', bytes: `GET /1 HTTP/1.1\r\n${H}Connection: content-length\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}GET /2 HTTP/1.1\r\n${H}\r\n`, statuses: [400], upstream: [] },
];

describe.each(FORWARDERS)('request smuggling via %s', (forwarder) => {
  let up: RecordingUpstream;
  let t: TestGateway;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    t = await startGateway({ upstreamUrl: up.url, forwarder, config: { upstream: { connections: 1, timeoutMs: 5_000 } } });
  });
  afterAll(async () => {
    await t.close();
    await up.stop();
  });
  beforeEach(() => {
    up.requests.length = 0;
    up.arrived.length = 0;
    up.parseErrors = 0;
  });

  it.each(CASES)('$name', async (c) => {
    const x = await rawExchange(t.url, c.bytes, c.statuses.length);
    expect(x.responses.map((r) => r.status)).toEqual(c.statuses);
    for (const r of x.responses.filter((r) => r.status >= 400)) expect(JSON.parse(r.body.toString())).toHaveProperty('code');

    // The sentinel follows any smuggled bytes on the one upstream connection.
    const sentinel = await call(t.url, '/sentinel');
    expect(sentinel.status).toBe(200);
    expect(up.requests.at(-1)?.url).toBe('/sentinel');
    const got = up.requests.slice(0, -1).map((r) => ({ method: r.method, url: r.url, body: r.body.toString('latin1') }));
    expect(got).toEqual(c.upstreamPrefix ? c.upstream.slice(0, got.length) : c.upstream);

    const heads = up.arrived.slice(0, -1);
    if (c.headMayArrive) expect(heads.length).toBeLessThanOrEqual(1);
    else expect(heads.length).toBe(got.length);
    for (const h of heads) {
      expect(h.url).not.toMatch(/smuggled|capture/);
      expect(Object.keys(h.headers).filter((n) => n.startsWith('x-highlight-'))).toEqual([]);
    }
    expect(up.parseErrors).toBe(0);
  });

  it('server.maxHeaders (default 100) header fields are forwarded; one more is 431 and nothing is forwarded', async () => {
    const head = (n: number) => `GET /h${n} HTTP/1.1\r\n${H}${Array.from({ length: n - 1 }, (_, i) => `X-N${i}: ${i}\r\n`).join('')}\r\n`;
    const ok = await rawExchange(t.url, head(100), 1);
    expect(ok.responses.map((r) => r.status)).toEqual([200]);
    expect(Object.keys(up.last!.headers).filter((n) => n.startsWith('x-n'))).toHaveLength(99);
    const over = await rawExchange(t.url, head(101), 2); // waits for the close: only one answer comes
    expect(over.responses.map((r) => r.status)).toEqual([431]);
    expect(JSON.parse(over.responses[0]!.body.toString())).toMatchObject({ code: 'header_fields_too_large' });
    expect(over.closed).toBe(true);
    expect(up.requests.map((r) => r.url)).toEqual(['/h100']);
  });

  it('a head over 16 KiB is 431 from the parser, in the same JSON shape', async () => {
    const x = await rawExchange(t.url, `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(17_000)}\r\n\r\n`, 1);
    expect(x.responses.map((r) => r.status)).toEqual([431]);
    expect(JSON.parse(x.responses[0]!.body.toString())).toMatchObject({ code: 'header_fields_too_large' });
    expect(up.arrived).toEqual([]);
  });
});
