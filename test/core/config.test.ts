import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/schema.js';

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
    [{ upstream: { url: 'ftp://x' } }, 'config error: upstream.url: expected an http(s) URL, e.g. https://api.example.com (in gw.yaml)'],
    [{ upstream: { url: 42 } }, 'config error: upstream.url: expected an http(s) URL, e.g. https://api.example.com (in gw.yaml)'],
    [{ server: { port: 'eighty' } }, 'config error: server.port: expected a port number, e.g. 8080 (in gw.yaml)'],
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

  it('names the file, line and column for YAML syntax errors, in one message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hlgw-cfg-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'server:\n  port: 8080\n host: x\n');
    const msg = problemsOf(() => loadConfigFile(bad, {}));
    expect(msg).toMatch(new RegExp(`^config error: \\(root\\): YAML syntax: All mapping items must start at the same column \\(in ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+\\)$`));
    expect(msg.split('\n')).toHaveLength(1);
    expect(problemsOf(() => loadConfigFile(join(dir, 'missing.yaml'), {}))).toContain('cannot read file (ENOENT)');
  });

  it('points a schema problem at its line and column in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hlgw-cfg-'));
    const file = join(dir, 'gw.yaml');
    writeFileSync(file, 'server:\n  port: 8080\n  prot: 1\nportfolios:\n  allowed: acme\n');
    const msg = problemsOf(() => loadConfigFile(file, {}));
    expect(msg).toContain(`config error: server: unknown key "prot" (in ${file}:3:9)`);
    expect(msg).toContain(`config error: portfolios.allowed: expected a list of company ids or "*", e.g. [acme, globex] (a YAML list, even for one company) (in ${file}:5:12)`);
  });

  describe('${VAR} values take the type of their key', () => {
    it.each([
      [{ server: { port: '${HLGW_PORT:-18480}' } }, {}, (c: GatewayConfig) => c.server.port, 18480],
      [{ server: { port: '${HLGW_PORT:-18480}' } }, { HLGW_PORT: '9000' }, (c: GatewayConfig) => c.server.port, 9000],
      [{ upstream: { preserveHost: '${KEEP_HOST}' } }, { KEEP_HOST: 'true' }, (c: GatewayConfig) => c.upstream.preserveHost, true],
      [{ server: { workers: '${WORKERS}' } }, { WORKERS: '4' }, (c: GatewayConfig) => c.server.workers, 4],
      [{ server: { workers: '${WORKERS}' } }, { WORKERS: 'auto' }, (c: GatewayConfig) => c.server.workers, 'auto'],
      // A string key stays a string, even when the value looks like a number.
      [{ tokens: { realm: '${REALM}' } }, { REALM: '1234' }, (c: GatewayConfig) => c.tokens.realm, '1234'],
    ] as const)('%j with %j', (raw, env, read, expected) => {
      expect(read(parseConfig(raw, 'gw.yaml', env))).toBe(expected);
    });

    it.each([
      [{ server: { port: '${HLGW_PORT}' } }, { HLGW_PORT: '80a' }, 'config error: server.port: environment variable HLGW_PORT: expected a port number, e.g. 8080 (in gw.yaml)'],
      [{ server: { port: '${HLGW_PORT}' } }, { HLGW_PORT: '70000' }, 'config error: server.port: environment variable HLGW_PORT: expected a port number from 0 to 65535'],
      [{ upstream: { preserveHost: '${KEEP_HOST}' } }, { KEEP_HOST: 'yes' }, 'config error: upstream.preserveHost: environment variable KEEP_HOST: expected a boolean'],
    ] as const)('%j with %j is refused naming the variable', (raw, env, message) => {
      expect(problemsOf(() => parseConfig(raw, 'gw.yaml', env))).toContain(message);
    });
  });

  it.each([
    [{ portfolios: { allowed: 'acme' } }, 'portfolios.allowed: expected a list of company ids or "*", e.g. [acme, globex]'],
    [{ store: { type: 'mongo' } }, 'store.type: expected one of "sqlite", "redis"'],
    [{ store: { type: 'redis' } }, 'store: expected exactly one of url, sentinels (+ name), cluster; got none, e.g. url: redis://127.0.0.1:6379'],
    [{ users: { source: 'file' } }, 'users.file: required: expected a string, e.g. ./config/users.yaml'],
    [{ users: { source: 'upstream', path: 'WS2/user' } }, 'users.path: expected a path starting with /, e.g. /WS2/user'],
    [{ server: { workers: 'many' } }, 'server.workers: expected a number of processes from 1 to 64, or "auto"'],
    [{ log: { level: 'loud' } }, 'log.level: expected one of "fatal", "error"'],
    [{ tokens: { maxTokenBytes: 10 } }, 'tokens.maxTokenBytes: expected a value ≥ 256'],
    [{ server: { trustedProxies: '10.0.0.5' } }, 'server.trustedProxies: expected a list, e.g. [10.0.0.5, 10.0.0.6]'],
  ])('%j: the key, the expected shape and an example, never a bare "Invalid input"', (raw, message) => {
    const msg = problemsOf(() => parseConfig(raw, 'gw.yaml', {}));
    expect(msg).toContain(message);
    expect(msg).not.toMatch(/Invalid input|Invalid option|Too small/);
  });

  it('the shipped demo config is valid', () => {
    const c = loadConfigFile('config/gateway.yaml', {});
    expect(c.demoUpstream.enabled).toBe(true);
  });
});

describe('store: the three ways to reach Redis', () => {
  const parse = (store: Record<string, unknown>) => parseConfig({ store: { type: 'redis', ...store } }, '<test>', {});

  it('one server, Sentinel, Cluster: host:port lists parsed once, minReplicasAcked 0 by default', () => {
    expect(parse({ url: 'redis://127.0.0.1:6379' }).store).toMatchObject({ url: 'redis://127.0.0.1:6379', minReplicasAcked: 0, replicaAckTimeoutMs: 500 });
    expect(parse({ sentinels: ['10.0.0.1:26379', '[::1]:26380'], name: 'hlgw', minReplicasAcked: 1 }).store).toMatchObject({
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '::1', port: 26380 }], name: 'hlgw', minReplicasAcked: 1,
    });
    expect(parse({ cluster: ['redis-a:7000', 'redis-b:7000'], password: 'pw' }).store).toMatchObject({ cluster: [{ host: 'redis-a', port: 7000 }, { host: 'redis-b', port: 7000 }] });
  });

  it.each([
    [{}, 'store: expected exactly one of url, sentinels (+ name), cluster; got none'],
    [{ url: 'redis://h:1', cluster: ['h:2'] }, 'store: expected exactly one of url, sentinels (+ name), cluster; got url, cluster'],
    [{ sentinels: ['h:26379'] }, "store.name: required with sentinels: the primary's name"],
    [{ cluster: ['h'] }, 'store.cluster.0: expected host:port'],
    [{ cluster: ['h:70000'] }, 'store.cluster.0: expected a port from 1 to 65535'],
    [{ url: 'redis://h:1', name: 'x' }, 'store.name: only with sentinels'],
    [{ url: 'redis://h:1', password: 'pw' }, 'store.password: with url, put the password in the URL'],
    [{ url: 'redis://h:1', replicaAckTimeoutMs: 5000 }, 'store.replicaAckTimeoutMs'],
  ])('refuses %j with the key path', (store, message) => {
    expect(() => parse(store)).toThrow(message);
  });
});

describe('notifications: webhooks', () => {
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

  it('none by default; leads of a week and a day, a day of retries', () => {
    expect(parseConfig({}, '<test>', {}).notifications).toMatchObject({ webhooks: [], expiringLeadMinutes: [10_080, 1_440], retryHorizonMinutes: 1_440 });
  });

  it('a receiver with its secret from the environment; events `*` by default or a list of types', () => {
    const c = parseConfig({ notifications: { webhooks: [
      { url: 'https://hooks.example.com/a', secret: '${HOOK_SECRET}' },
      { url: 'https://hooks.example.com/b', secret: '${HOOK_SECRET}', events: ['token.leaked', 'policy.changed'] },
    ] } }, '<test>', { HOOK_SECRET: secret });
    expect(c.notifications.webhooks).toEqual([
      { url: 'https://hooks.example.com/a', secret, events: '*' },
      { url: 'https://hooks.example.com/b', secret, events: ['token.leaked', 'policy.changed'] },
    ]);
  });

  it('refuses a secret that is not whsec_ and base64 of 24 bytes or more, and an unknown event type, without echoing the secret', () => {
    let err: unknown;
    try {
      parseConfig({ notifications: { webhooks: [
        { url: 'https://hooks.example.com/a', secret: 'whsec_tooShort-NOT-BASE64' },
        { url: 'https://hooks.example.com/b', secret, events: ['token.stolen'] },
      ] } }, '<test>', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).problems.map((p) => p.path);
    expect(paths).toEqual(['notifications.webhooks.0.secret', 'notifications.webhooks.1.events']);
    expect(String(err)).not.toContain('tooShort');
  });
});
