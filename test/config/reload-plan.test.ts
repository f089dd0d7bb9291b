import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { planReload } from '../../src/config/reload-plan.js';

const base = { users: { source: 'file', file: 'u.yaml' }, portfolios: { allowed: ['acme'] } };
const cfg = (extra: Record<string, unknown>) => parseConfig({ ...base, ...extra }, '<test>', {});

describe('planReload', () => {
  it.each([
    [{ portfolios: { allowed: ['acme', 'globex'] } }, ['portfolios.allowed'], []],
    [{ log: { level: 'debug', access: 'sampled', accessSampleRate: 0.5 } }, ['log.access', 'log.accessSampleRate', 'log.level'], []],
    [{ endpoints: { failedLogins: { perLogin: { maxFailures: 3 } } } }, ['endpoints.failedLogins.perLogin.maxFailures'], []],
    [{ users: { source: 'file', file: 'other.yaml' } }, ['users.file'], []],
    [{ users: { source: 'file', file: 'u.yaml', managerRole: 'boss' } }, [], ['users.managerRole']],
    [{ upstream: { url: 'http://127.0.0.1:9' }, cache: { maxEntries: 5 } }, [], ['cache.maxEntries', 'upstream.url']],
    [{}, [], []],
  ])('%j → applied %j, restart %j', (change, applied, restart) => {
    expect(planReload(cfg({}), cfg(change))).toEqual({ applied, restartNeeded: restart });
  });
});
