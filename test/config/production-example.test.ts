import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../src/config/load.js';

const FILE = 'config/production.example.yaml';
const ENV = {
  HLGW_UPSTREAM_URL: 'https://highlight.internal.example',
  HLGW_REDIS_URL: 'redis://:s3cret@redis.internal.example:6379',
  HLGW_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  HLGW_OPERATOR_TOKEN: 'operator-secret-0123456789-abcdefghij',
};

describe('config/production.example.yaml, read by the real loader', () => {
  const config = loadConfigFile(FILE, ENV);

  it('has no demo: no echo API, no users file (so no demo users), no company allowed', () => {
    expect(config.demoUpstream.enabled).toBe(false);
    expect(config.users.source).toBe('upstream');
    expect(config.portfolios.allowed).toEqual([]);
    expect(readFileSync(FILE, 'utf8')).not.toMatch(/demo-users|acme-(manager|user)-demo/);
  });

  it('takes its secrets and addresses from the environment', () => {
    expect(config.upstream.url).toBe(ENV.HLGW_UPSTREAM_URL);
    expect(config.store).toMatchObject({ type: 'redis', url: ENV.HLGW_REDIS_URL });
    expect(config.admin.operatorToken).toEqual({ fromEnv: 'HLGW_OPERATOR_TOKEN' });
    expect(config.server.host).toBe('0.0.0.0');
    expect(loadConfigFile(FILE, { ...ENV, HLGW_HOST: '10.0.0.5' }).server.host).toBe('10.0.0.5');
  });

  it('names every variable it needs: without them the start fails naming each key', () => {
    expect(() => loadConfigFile(FILE, {})).toThrow(ConfigError);
    let message = '';
    try {
      loadConfigFile(FILE, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/upstream\.url.*HLGW_UPSTREAM_URL is not set/);
    expect(message).toMatch(/store\.url.*HLGW_REDIS_URL is not set/);
  });

  it('lists in its header comment every variable it reads', () => {
    const text = readFileSync(FILE, 'utf8');
    const used = new Set([...text.replace(/^#.*$/gm, '').matchAll(/\$\{(HLGW_[A-Z_]+)/g)].map((m) => m[1]!));
    used.add('HLGW_MASTER_KEY');
    used.add('HLGW_OPERATOR_TOKEN');
    const header = text.slice(0, text.indexOf('\nserver:'));
    for (const name of used) expect(header, name).toContain(name);
  });
});
