import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ForwarderName } from '../../src/proxy/forwarder.js';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { enableAndIssue, startGateway, type TestGateway } from '../support/start-gateway.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string; boolValue?: boolean } }>;
}

/** A real OTLP/HTTP receiver on loopback: takes the exporter's JSON on POST /v1/traces and keeps the spans. */
class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  posts = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.posts++;
        if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
          res.writeHead(400).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) this.spans.push(...ss.spans);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
    return this;
  }

  reset(): void {
    this.spans.length = 0;
    this.posts = 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue);
};
const parseTraceparent = (h: string | string[] | undefined) => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(String(h));
  return m ? { traceId: m[1]!, spanId: m[2]!, flags: m[3]! } : undefined;
};
const logLines = (t: TestGateway) => t.logs.flatMap((l) => l.split('\n')).filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

describe('tracing: OpenTelemetry spans over OTLP/HTTP', () => {
  let up: RecordingUpstream;
  let otlp: OtlpReceiver;
  let t: TestGateway | undefined;

  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    otlp = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    up.requests.length = 0;
    up.streaming = undefined;
    otlp.reset();
  });
  afterAll(async () => {
    await otlp.stop();
    await up.stop();
  });

  const start = (tracing: Record<string, unknown> | undefined, server: Record<string, unknown> = {}, forwarder?: ForwarderName) =>
    startGateway({ upstreamUrl: up.url, forwarder, config: { server, ...(tracing ? { tracing } : {}) } });
  const on = (sampleRatio = 1) => ({ otlp: { url: otlp.url }, sampleRatio });

  it.each<ForwarderName>(['undici', 'http-proxy'])('a Bearer request via %s: a root span with children for the verification (miss, then hit), the store read on the miss and the upstream call', async (forwarder) => {
    t = await start(on(), {}, forwarder);
    const token = await enableAndIssue(t);
    const first = await call(t.url, '/WS2/x', { headers: { authorization: `Bearer ${token.token}` } });
    const second = await call(t.url, '/WS2/y', { headers: { authorization: `Bearer ${token.token}` } });
    expect([first.status, second.status]).toEqual([200, 200]);
    const sent = up.requests.map((r) => parseTraceparent(r.headers.traceparent));
    // Our provider is the gateway's own: nothing was registered globally for others to record into.
    expect(trace.getTracer('someone-else').startSpan('x').isRecording()).toBe(false);
    await t.close(); // shuts the provider down: the queued spans are exported
    t = undefined;

    const roots = otlp.spans.filter((s) => s.parentSpanId === undefined || s.parentSpanId === '');
    expect(roots.map((s) => [s.name, attr(s, 'url.path'), attr(s, 'http.response.status_code')])).toEqual([['GET', '/WS2/x', 200], ['GET', '/WS2/y', 200]]);
    const children = (root: OtlpSpan) => otlp.spans.filter((s) => s.parentSpanId === root.spanId);
    const [miss, hit] = roots.map((root) => {
      const kids = children(root);
      expect(kids.map((s) => s.name).sort()).toEqual(['token verify', 'upstream']);
      expect(kids.every((s) => s.traceId === root.traceId)).toBe(true);
      return { root, verify: kids.find((s) => s.name === 'token verify')!, upstream: kids.find((s) => s.name === 'upstream')! };
    });
    expect(attr(miss!.verify, 'hlgw.token.cache')).toBe('miss');
    expect(attr(hit!.verify, 'hlgw.token.cache')).toBe('hit');
    // The store read (the issued-id check) happens on the miss only, under its verification.
    expect(children(miss!.verify).map((s) => [s.name, attr(s, 'db.operation.name')])).toEqual([['store getToken', 'getToken']]);
    expect(children(hit!.verify)).toEqual([]);
    expect(attr(miss!.upstream, 'http.response.status_code')).toBe(200);
    // The upstream received a traceparent naming our upstream span, in our trace, sampled.
    expect(sent).toEqual([
      { traceId: miss!.root.traceId, spanId: miss!.upstream.spanId, flags: '01' },
      { traceId: hit!.root.traceId, spanId: hit!.upstream.spanId, flags: '01' },
    ]);
  });

  it('an untrusted client\'s traceparent is not continued: a new trace, its sampled flag ignored, its tracestate dropped', async () => {
    t = await start(on(0)); // our ratio says never; the client says sampled
    const r = await call(t.url, '/WS2/x', { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'evil=1' } });
    expect(r.status).toBe(200);
    const sent = parseTraceparent(up.last!.headers.traceparent);
    expect(sent).toBeDefined();
    expect(sent!.traceId).not.toBe(CLIENT_TRACE);
    expect(sent!.flags).toBe('00');
    expect(up.last!.headers.tracestate).toBeUndefined();
    await t.close();
    t = undefined;
    expect(otlp.spans).toEqual([]);
  });

  it('an untrusted client\'s traceparent with our ratio 1: our own trace, no parent', async () => {
    t = await start(on());
    await call(t.url, '/WS2/x', { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
    const sent = parseTraceparent(up.last!.headers.traceparent)!;
    await t.close();
    t = undefined;
    const root = otlp.spans.find((s) => s.name === 'GET')!;
    expect(root.traceId).not.toBe(CLIENT_TRACE);
    expect(root.parentSpanId ?? '').toBe('');
    expect(sent.traceId).toBe(root.traceId);
  });

  it('a trusted proxy\'s traceparent is continued, its tracestate kept, and its sampled flag followed', async () => {
    t = await start(on(), { trustedProxies: ['127.0.0.1'] });
    await call(t.url, '/WS2/sampled', { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'lb=7' } });
    const sampled = up.last!;
    await call(t.url, '/WS2/unsampled', { headers: { traceparent: `00-${'1'.repeat(32)}-${CLIENT_SPAN}-00` } });
    const unsampled = up.last!;
    await t.close();
    t = undefined;
    const roots = otlp.spans.filter((s) => s.name === 'GET');
    expect(roots.map((s) => [s.traceId, s.parentSpanId, attr(s, 'url.path')])).toEqual([[CLIENT_TRACE, CLIENT_SPAN, '/WS2/sampled']]);
    expect(parseTraceparent(sampled.headers.traceparent)).toMatchObject({ traceId: CLIENT_TRACE, flags: '01' });
    expect(sampled.headers.tracestate).toBe('lb=7');
    // Not sampled upstream of us: continued (same trace id), not recorded, still propagated.
    expect(parseTraceparent(unsampled.headers.traceparent)).toMatchObject({ traceId: '1'.repeat(32), flags: '00' });
  });

  it('tracing off: nothing is exported, no traceparent is added, a client\'s passes untouched', async () => {
    t = await start(undefined);
    const token = await enableAndIssue(t);
    await call(t.url, '/WS2/x', { headers: { authorization: `Bearer ${token.token}` } });
    expect(up.last!.headers.traceparent).toBeUndefined();
    const given = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
    await call(t.url, '/WS2/y', { headers: { traceparent: given } });
    expect(up.last!.headers.traceparent).toBe(given);
    await t.close();
    t = undefined;
    expect(otlp.posts).toBe(0);
  });

  it('the log lines of a refused and of a failed request carry the trace id', async () => {
    t = await start(on());
    const refused = await call(t.url, '/WS2/x', { headers: { authorization: 'Bearer not-a-token' } });
    expect(refused.status).toBe(401);
    up.streaming = (req) => req.socket.destroy(); // the upstream resets: 502
    const failed = await call(t.url, '/WS2/y');
    expect(failed.status).toBe(502);
    const lines = logLines(t);
    await t.close();
    t = undefined;
    const rootOf = (path: string) => otlp.spans.find((s) => s.name === 'GET' && attr(s, 'url.path') === path)!;
    const rejected = lines.find((l) => l.msg === 'request rejected')!;
    expect(rejected.trace_id).toBe(rootOf('/WS2/x').traceId);
    expect(attr(rootOf('/WS2/x'), 'hlgw.error.code')).toBe(rejected.code);
    const upstreamFailed = lines.find((l) => l.msg === 'upstream request failed')!;
    expect(upstreamFailed.trace_id).toBe(rootOf('/WS2/y').traceId);
    const upstreamSpan = otlp.spans.find((s) => s.name === 'upstream' && s.parentSpanId === rootOf('/WS2/y').spanId)!;
    expect(attr(upstreamSpan, 'error.type')).toBe('reset');
  });
});

describe('tracing config', () => {
  it('is off by default; on, the ratio defaults to 0.1 and the service name to hlgw', () => {
    expect(parseConfig({}, '<test>', {}).tracing).toBeUndefined();
    const c = parseConfig({ tracing: { otlp: { url: 'http://collector:4318/v1/traces', headers: { 'x-api-key': '${KEY}' } } } }, '<test>', { KEY: 'k' });
    expect(c.tracing).toEqual({ otlp: { url: 'http://collector:4318/v1/traces', headers: { 'x-api-key': 'k' } }, sampleRatio: 0.1, serviceName: 'hlgw' });
  });

  it('refuses a bad URL and a ratio outside 0..1, each with its key path', () => {
    expect(() => parseConfig({ tracing: { otlp: { url: 'collector:4318' }, sampleRatio: 2 } }, '<test>', {}))
      .toThrow(/tracing\.otlp\.url: expected an http\(s\) URL[\s\S]*tracing\.sampleRatio/);
  });
});
