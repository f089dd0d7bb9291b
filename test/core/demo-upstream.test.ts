import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { parseConfig } from '../../src/config/load.js';
import { createDemoUpstream } from '../../src/demo-upstream.js';
import { basic, call } from '../support/http-call.js';

describe('the demo echo API (demoUpstream)', () => {
  let demo: Server;
  let url: string;
  beforeAll(async () => {
    demo = createDemoUpstream(parseConfig({ identity: { upstream: 'headers' } }, '<test>', {}).identity);
    await new Promise<void>((resolve) => demo.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(demo.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => demo.close(() => resolve())));

  it('lists only identity headers under identity; forwarded headers in their own field', async () => {
    const r = await call(url, '/WS2/domains?x=1', {
      headers: {
        'x-highlight-user-id': 'u-200', 'x-highlight-company-id': 'acme', 'x-highlight-identity': 'a.b.c',
        'x-forwarded-host': 'api.example', 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', forwarded: 'for=198.51.100.7',
        authorization: basic('user@acme.example', 'secret'), 'x-other': 'not echoed',
      },
    });
    expect(r.status).toBe(200);
    const body = r.json<Record<string, unknown>>();
    expect(body.identity).toEqual({ 'x-highlight-user-id': 'u-200', 'x-highlight-company-id': 'acme', 'x-highlight-identity': 'a.b.c' });
    expect(body.forwarded).toEqual({ forwarded: 'for=198.51.100.7', 'x-forwarded-for': '198.51.100.7', 'x-forwarded-host': 'api.example', 'x-forwarded-proto': 'https' });
    expect(body).toMatchObject({ method: 'GET', path: '/WS2/domains', query: { x: '1' }, authorization: 'Basic (value not shown)', basicUser: 'user@acme.example' });
    expect(r.text).not.toContain('secret');
    expect(r.text).not.toContain('not echoed');
  });

  it('answers empty identity and forwarded objects when none came', async () => {
    const body = (await call(url, '/')).json<Record<string, unknown>>();
    expect(body).toMatchObject({ identity: {}, forwarded: {}, authorization: null });
  });
});
