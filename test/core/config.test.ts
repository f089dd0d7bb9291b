import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('starts from the embedded defaults', () => {
    const c = parseConfig({}, '<defaults>', {});
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(c.admin.port).toBe(9464);
    expect(c.upstream).toMatchObject({ url: 'http://127.0.0.1:8081', timeoutMs: 30000, client: 'undici' });
    expect(c.store).toEqual({ type: 'sqlite', path: './data/hlgw.db' });
    expect(c.tokens.maxTokenBytes).toBe(4096);
    expect(c.identity.headers.userId).toBe('x-highlight-user-id');
    expect(Object.isFrozen(c.upstream)).toBe(true);
  });

  it.each([
    [{ upstream: { url: 'ftp://x' } }, 'config error: upstream.url: expected an http(s) URL (in gw.yaml)'],
    [{ upstream: { url: 42 } }, 'config error: upstream.url: expected an http(s) URL (in gw.yaml)'],
    [{ server: { port: 'eighty' } }, 'config error: server.port: expected a port number (in gw.yaml)'],
    [{ server: { prot: 1 } }, 'config error: server: unknown key "prot" (in gw.yaml)'],
    [{ bogus: true }, 'config error: (root): unknown key "bogus" (in gw.yaml)'],
    [{ store: { type: 'mongo' } }, 'config error: store.type'],
    [{ tokens: { maxTokenBytes: 10 } }, 'config error: tokens.maxTokenBytes'],
    [{ identity: { headers: { userId: 'bad header' } } }, 'config error: identity.headers.userId: expected an HTTP header name'],
  ])('%j is refused with the key named', (raw, message) => {
    expect(problemsOf(() => parseConfig(raw, 'gw.yaml', {}))).toContain(message);
  });

  it('reports every problem at once', () => {
    const msg = problemsOf(() => parseConfig({ server: { port: -1 }, upstream: { url: 'nope' } }, 'gw.yaml', {}));
    expect(msg).toContain('server.port');
    expect(msg).toContain('upstream.url');
  });

  it('interpolates ${ENV} and ${ENV:-fallback}, and names the key of a missing variable', () => {
    const c = parseConfig({ upstream: { url: '${UP}' }, tokens: { realm: '${REALM:-hl}' } }, 'gw.yaml', { UP: 'http://10.0.0.1:9000' });
    expect(c.upstream.url).toBe('http://10.0.0.1:9000');
    expect(c.tokens.realm).toBe('hl');
    expect(problemsOf(() => parseConfig({ upstream: { url: '${NOPE}' } }, 'gw.yaml', {}))).toContain(
      'config error: upstream.url: environment variable NOPE is not set (in gw.yaml)',
    );
  });

  it('names the file for YAML syntax errors and unreadable files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hlgw-cfg-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'server: [unclosed');
    expect(problemsOf(() => loadConfigFile(bad, {}))).toContain(`(in ${bad})`);
    expect(problemsOf(() => loadConfigFile(join(dir, 'missing.yaml'), {}))).toContain('cannot read file (ENOENT)');
  });

  it('the shipped demo config is valid', () => {
    const c = loadConfigFile('config/gateway.yaml', {});
    expect(c.demoUpstream.enabled).toBe(true);
  });
});
