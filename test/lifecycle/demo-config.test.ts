import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { openUserSource } from '../../src/users/open-user-source.js';

describe('the demo configuration', () => {
  it('ships the two demo users of company acme whose passwords the README shows', async () => {
    const config = loadConfigFile('config/gateway.yaml', {});
    expect(config.users).toMatchObject({ source: 'file', file: './config/demo-users.yaml' });
    // The demo replays the user's own Basic credential; the embedded default stays headers.
    expect(config.identity.upstream).toBe('basic');
    const users = await openUserSource(config);
    expect(await users.verify('manager@acme.example', 'acme-manager-demo')).toMatchObject({ companyId: 'acme', roles: ['portfolioManager'] });
    expect(await users.verify('user@acme.example', 'acme-user-demo')).toMatchObject({ companyId: 'acme', roles: [] });
    expect(await users.verify('user@acme.example', 'acme-manager-demo')).toBeUndefined();
  });

  it('the embedded defaults have no user directory, the /auth prefix and 10 failures in 5 minutes', () => {
    const config = parseConfig({}, '<defaults>', {});
    expect(config.users).toEqual({ source: 'none', sso: { only: false, startsPerMinutePerAddress: 300, providers: [] } });
    expect(config.endpoints).toEqual({ prefix: '/auth', maxBodyBytes: 16_384, failedLogins: { perLogin: { maxFailures: 10, windowSeconds: 300 }, perAddress: { maxFailures: 100, windowSeconds: 300 } } });
  });

  it.each([
    [{ users: { source: 'upstream' } }, 'users.path'],
    [{ users: { source: 'file' } }, 'users.file'],
    [{ users: { source: 'upstream', path: '/me', pointers: { userId: 'id' } } }, 'users.pointers.userId'],
    [{ endpoints: { prefix: 'auth/' } }, 'endpoints.prefix'],
  ])('%j is refused naming %s', (raw, path) => {
    expect(() => parseConfig(raw, '<test>', {})).toThrow(path);
  });
});
