import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { createFramingCheck } from '../../src/http/check-framing.js';

const IDENTITY = ['x-highlight-user-id', 'x-highlight-login', 'x-highlight-company-id', 'x-highlight-token-id', 'x-highlight-auth-method', 'x-legacy-user'];
const check = createFramingCheck({ maxHeaders: 10, identityNames: IDENTITY });

/** The parts of an IncomingMessage the check reads, as Node would fill them. */
function req(headers: Record<string, string>, o: { extraRaw?: number; http10?: boolean } = {}): IncomingMessage {
  const rawHeaders = Object.entries(headers).flat();
  for (let i = 0; i < (o.extraRaw ?? 0); i++) rawHeaders.push(`x-extra-${i}`, '1');
  return { headers, rawHeaders, httpVersionMinor: o.http10 ? 0 : 1 } as unknown as IncomingMessage;
}
const code = (r: ReturnType<typeof check>) => (r instanceof GatewayError ? r.code : r);

describe('checkFraming (step 0a)', () => {
  it.each([
    ['no body', {}, 'none'],
    ['Content-Length', { 'content-length': '12' }, '12'],
    ['Content-Length 0', { 'content-length': '0' }, '0'],
    ['chunked', { 'transfer-encoding': 'chunked' }, 'chunked'],
    ['Chunked (case-insensitive, RFC 9112 §7)', { 'transfer-encoding': 'Chunked' }, 'chunked'],
    ['gzip, chunked', { 'transfer-encoding': 'gzip, chunked' }, 'transfer_coding_unsupported'],
    ['Connection: keep-alive', { connection: 'keep-alive', 'content-length': '3' }, '3'],
    ['Connection: close', { connection: 'close' }, 'none'],
    ['Connection: te, upgrade, x-custom (allowed)', { connection: 'TE, Upgrade, x-custom' }, 'none'],
    ['Connection: content-length', { connection: 'content-length', 'content-length': '3' }, 'connection_header_invalid'],
    ['Connection: Transfer-Encoding', { connection: 'keep-alive, Transfer-Encoding', 'transfer-encoding': 'chunked' }, 'connection_header_invalid'],
    ['Connection: host', { connection: 'host' }, 'connection_header_invalid'],
    ['Connection: authorization', { connection: 'authorization' }, 'connection_header_invalid'],
    ['Connection: x-forwarded-for', { connection: 'x-forwarded-for' }, 'connection_header_invalid'],
    ['Connection: x-request-id', { connection: 'x-request-id' }, 'connection_header_invalid'],
    ['Connection: an identity header', { connection: 'X-Highlight-Login' }, 'connection_header_invalid'],
    ['Connection: an identity header with underscores', { connection: 'x_highlight_user_id' }, 'connection_header_invalid'],
    ['Connection: identity.alsoStrip', { connection: 'X_Legacy_User' }, 'connection_header_invalid'],
    ['Connection: empty list members', { connection: ' , ,keep-alive' }, 'none'],
  ])('%s → %s', (_name, headers, expected) => {
    expect(code(check(req(headers)))).toBe(expected);
  });

  it('Transfer-Encoding on HTTP/1.0 is faulty framing (RFC 9112 §6.1)', () => {
    expect(code(check(req({ 'transfer-encoding': 'chunked' }, { http10: true })))).toBe('request_framing_invalid');
    expect(code(check(req({ 'content-length': '2' }, { http10: true })))).toBe('2');
  });

  it('counts the raw header list, which Node keeps whole while req.headers stops at the limit', () => {
    expect(code(check(req({ host: 'a' }, { extraRaw: 9 })))).toBe('none'); // 10 headers
    expect(code(check(req({ host: 'a' }, { extraRaw: 10 })))).toBe('header_fields_too_large'); // 11
  });

  it('never throws, and a framing it returns is the one the headers carry', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
    const connection = fc.oneof(fc.string(), fc.array(fc.oneof(token, fc.constantFrom('content-length', 'Host', 'X_HIGHLIGHT_LOGIN', 'close'))).map((a) => a.join(', ')));
    fc.assert(fc.property(
      fc.option(connection, { nil: undefined }),
      fc.option(fc.oneof(fc.constantFrom('chunked', 'CHUNKED', 'gzip, chunked'), fc.string()), { nil: undefined }),
      fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }),
      fc.nat(20),
      (conn, te, cl, extra) => {
        const h: Record<string, string> = {};
        if (conn !== undefined) h.connection = conn;
        if (te !== undefined) h['transfer-encoding'] = te;
        else if (cl !== undefined) h['content-length'] = cl; // llhttp refuses both together
        const r = check(req(h, { extraRaw: extra }));
        if (r instanceof GatewayError) return;
        if (te !== undefined) expect(r).toBe('chunked');
        else expect(r).toBe(cl ?? 'none');
      },
    ));
  });
});
