import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { accessLine, type AccessFields } from '../../src/http/access-line.js';

const TIME = 1_764_900_000_123;
const full: AccessFields = {
  requestId: '0b8a4c9e-6a43-4c1e-9a59-5b0f0c7e2f11', method: 'GET', path: '/WS2/domains/12345/applications', status: 200,
  auth: 'bearer', outcome: 'forwarded', reason: undefined, upstreamStatus: 200, upstreamMs: 1.234, durationMs: 2.345,
  bytesIn: 0, bytesOut: 312, client: '127.0.0.1', tokenId: 'q3Vd0o2xkq8oP9yQd7Hq1A', companyId: 'acme', userId: 'alice', aborted: undefined,
};

/** What the access log wrote before it built its lines itself: pino's child logger, same time. */
function pinoLine(f: AccessFields): string {
  let out = '';
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { out += chunk.toString(); cb(); } });
  const log = pino({ level: 'info', base: { service: 'hlgw' }, timestamp: () => `,"time":${TIME}` }, sink).child({ log: 'access' });
  log.info({ ...f }, 'access');
  return out;
}

describe('accessLine', () => {
  it('writes the line pino wrote: same keys, same order, same values', async () => {
    const rejected: AccessFields = { ...full, status: 401, outcome: 'rejected', reason: 'token_invalid_seal', upstreamStatus: undefined, upstreamMs: undefined, tokenId: undefined, companyId: undefined, userId: undefined, aborted: true };
    for (const f of [full, rejected, { ...full, requestId: undefined, method: undefined, status: undefined }]) {
      const theirs = pinoLine(f);
      await new Promise((r) => setImmediate(r));
      expect(accessLine(f, TIME)).toBe(theirs);
    }
  });

  it('leaves out what is undefined', () => {
    const line = JSON.parse(accessLine({ ...full, tokenId: undefined, companyId: undefined, userId: undefined }, TIME)) as Record<string, unknown>;
    expect(Object.keys(line)).not.toContain('tokenId');
    expect(Object.keys(line)).not.toContain('userId');
    expect(line).toMatchObject({ level: 30, time: TIME, service: 'hlgw', log: 'access', msg: 'access', status: 200 });
  });

  it('keeps one request on one line whatever the path, client and ids hold', () => {
    const hostile = ['/a"b\\c', '/x\ny\rz', '/t\tab\u0000\u001f', '/\u2028\u2029', '/\ud800lone', '/\u00e9\u{1f600}', '","level":60,"x":"'];
    for (const s of hostile) {
      const f: AccessFields = { ...full, path: s, client: s, tokenId: s, companyId: s, userId: s, method: s };
      const line = accessLine(f, TIME);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(line.includes('\r')).toBe(false);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      // A lone surrogate comes back as itself (JSON.stringify escapes it as \ud800).
      expect(parsed).toMatchObject({ path: s, client: s, tokenId: s, companyId: s, userId: s, method: s, level: 30 });
    }
  });
});
