import { validate, compileErrors } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { gatewayOpenApiDocument as openApiDocument } from '../../src/gateway/openapi-document.js';
import { call } from '../support/http-call.js';
import { assertConformsToOpenApi } from '../support/openapi-conformance.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { startGateway, type TestGateway } from '../support/start-gateway.js';

describe('{prefix}/openapi.json', () => {
  let up: RecordingUpstream;
  let t: TestGateway;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    t = await startGateway({ upstreamUrl: up.url, config: { endpoints: { prefix: '/gw/auth' } } });
  });
  afterAll(async () => {
    await t.close();
    await up.stop();
  });

  it('is served without credentials, under the configured prefix, never upstream', async () => {
    const r = await call(t.url, '/gw/auth/openapi.json');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const doc = r.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/gw/auth/'))).toBe(true);
    expect(up.last).toBeUndefined();
  });

  it('is a valid OpenAPI 3.1 document (@readme/openapi-parser)', async () => {
    const doc = (await call(t.url, '/gw/auth/openapi.json')).json();
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    // The parser does refuse a broken document (no info, a response without description).
    expect((await validate({ openapi: '3.1.0', paths: { '/x': { get: { responses: { 200: {} } } } } } as never)).valid).toBe(false);
  });

  it('describes every route of the endpoint router', () => {
    const paths = Object.keys(openApiDocument('/auth', 'x').paths as object);
    expect(paths.sort()).toEqual([
      '/auth/.well-known/jwks.json', '/auth/leaked-tokens', '/auth/oauth/authorize', '/auth/oauth/introspect', '/auth/oauth/revoke', '/auth/openapi.json',
      '/auth/portfolios/{companyId}/audit', '/auth/portfolios/{companyId}/token-policy', '/auth/tokens', '/auth/tokens/{tokenId}',
      '/auth/ui/api/oauth/authorize', '/auth/ui/api/portfolios/{companyId}/audit', '/auth/ui/api/portfolios/{companyId}/token-policy',
      '/auth/ui/api/session', '/auth/ui/api/session-probe', '/auth/ui/api/sign-in-options', '/auth/ui/api/token-scopes', '/auth/ui/api/tokens', '/auth/ui/api/tokens/{tokenId}', '/auth/verify',
    ]);
  });

  it('lists every error code in the error schema', () => {
    const doc = openApiDocument('/auth', 'x') as { components: { schemas: { Error: { properties: { code: { enum: string[] } } } } } };
    expect(doc.components.schemas.Error.properties.code.enum).toEqual([...ERROR_CODES]);
  });

  it('the conformance check refuses an answer that differs from the document', () => {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      return { status, statusMessage: '', headers: { 'content-type': 'application/json' }, rawHeaders: [], body: Buffer.from(text), text, json: () => body } as never;
    };
    expect(() => assertConformsToOpenApi('GET', '/auth/tokens', reply(200, { tokens: [{ token_id: 'x' }] }))).toThrow(/must have required property/);
    expect(() => assertConformsToOpenApi('GET', '/auth/tokens', reply(401, { error: 'unauthorized', error_description: 'x', code: 'nope' }))).toThrow(/must be equal to one of/);
    expect(() => assertConformsToOpenApi('GET', '/auth/tokens', reply(418, {}))).toThrow(/status not documented/);
    // The portal's JSON API is checked too (its pages are not: HTML for a browser).
    expect(() => assertConformsToOpenApi('GET', '/auth/ui/api/session', reply(200, { login: 'x' }))).toThrow(/must have required property/);
    expect(() => assertConformsToOpenApi('DELETE', '/auth/ui/api/session', reply(402, {}))).toThrow(/status not documented/);
    expect(() => assertConformsToOpenApi('GET', '/auth/ui/index.html', reply(418, {}))).not.toThrow();
    expect(() => assertConformsToOpenApi('GET', '/auth/tokens', reply(401, { error: 'unauthorized', error_description: 'x', code: 'unauthorized' }))).not.toThrow();
  });
});
