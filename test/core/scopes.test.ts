import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { ScopeCatalog } from '../../src/token/scopes.js';

const scopesOf = (scopes: unknown) => parseConfig({ tokens: { scopes } }, 'gw.yaml', {}).tokens.scopes;

function problemsOf(scopes: unknown): string {
  try {
    scopesOf(scopes);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('tokens.scopes: compiled at config load, bad patterns refused with their path', () => {
  it.each([
    [{ upload: [{ methods: ['POST'], paths: ['api/x'] }] }, 'tokens.scopes.upload.0.paths.0', 'starts with /'],
    [{ upload: [{ methods: ['POST'], paths: ['/api/**/x'] }] }, 'tokens.scopes.upload.0.paths.0', '** may only be the last segment'],
    [{ upload: [{ methods: ['POST'], paths: ['/api/../x'] }] }, 'tokens.scopes.upload.0.paths.0', 'no . or .. segments'],
    [{ upload: [{ methods: ['POST'], paths: ['/api//x'] }] }, 'tokens.scopes.upload.0.paths.0', 'no empty segment'],
    [{ upload: [{ methods: ['POST'], paths: ['/api/x*'] }] }, 'tokens.scopes.upload.0.paths.0', 'segment "x*"'],
    [{ upload: [{ methods: ['POST'], paths: ['/api/%2e'] }] }, 'tokens.scopes.upload.0.paths.0', 'no %'],
    [{ upload: [{ methods: ['post'], paths: ['/api'] }] }, 'tokens.scopes.upload.0.methods.0', 'upper case'],
    [{ upload: [{ methods: [], paths: ['/api'] }] }, 'tokens.scopes.upload.0.methods', ''],
    [{ read: [{ methods: ['POST'], paths: ['/api'] }] }, 'tokens.scopes.read', 'built in'],
    [{ 'Bad Name': [{ methods: ['POST'], paths: ['/api'] }] }, 'tokens.scopes.Bad Name', 'a scope name is'],
    [{ upload: [{ methods: ['POST'], paths: ['/api'], hosts: ['x'] }] }, 'tokens.scopes.upload.0', ''],
  ])('%j → %s', (scopes, path, message) => {
    const problems = problemsOf(scopes);
    expect(problems).toContain(path);
    expect(problems).toContain(message);
  });
});

describe('ScopeCatalog: what a scope set allows', () => {
  const catalog = new ScopeCatalog(scopesOf({
    upload: [{ methods: ['POST', 'PUT'], paths: ['/api/scans/*/results', '/api/uploads/**'] }],
    root: [{ methods: ['DELETE'], paths: ['/'] }],
  }));

  it('full has no checker; read allows the safe methods anywhere', () => {
    expect(catalog.checker(['read', 'full'])).toBeUndefined();
    const read = catalog.checker(['read'])!;
    for (const m of ['GET', 'HEAD', 'OPTIONS']) expect(read.allows(m, '/any/../where?x')).toBe(true);
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', undefined]) expect(read.allows(m, '/x')).toBe(false);
  });

  it.each([
    ['POST', '/api/scans/1/results', true], ['PUT', '/api/scans/x-y.z/results?q=/a/b', true], ['POST', '/api/uploads', true],
    ['POST', '/api/uploads/', true], ['POST', '/api/uploads/a/b/c', true], ['POST', '/api/scans/1/results/', false],
    ['POST', '/api/scans/results', false], ['POST', '/api/scans//results', false], ['POST', '/api/scans/../results', false],
    ['POST', '/api/scans/.%2E/results', false], ['POST', '/api/scans/a%2fb/results', false], ['POST', '/api/scans/a\\b/results', false],
    ['POST', '/api/uploads/a/%2e/b', false], ['POST', '/api/upload', false], ['GET', '/api/uploads/a', false], ['POST', 'api/uploads/a', false],
    ['DELETE', '/', true], ['DELETE', '/?x=1', true], ['DELETE', '/x', false],
  ])('%s %s → %s', (method, url, allowed) => {
    expect(catalog.checker(['upload', 'root'])!.allows(method, url)).toBe(allowed);
  });

  it('names the scopes that would allow a refused request, full last', () => {
    expect(catalog.allowing('POST', '/api/uploads/x')).toEqual(['upload', 'full']);
    expect(catalog.allowing('GET', '/x')).toEqual(['read', 'full']);
    expect(catalog.allowing('PATCH', '/x')).toEqual(['full']);
    expect(catalog.names).toEqual(['read', 'full', 'upload', 'root']);
  });

  it('a scope the config no longer defines allows nothing', () => {
    expect(catalog.checker(['gone'])!.allows('GET', '/')).toBe(false);
  });
});
