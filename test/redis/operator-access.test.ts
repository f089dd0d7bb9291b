import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { registerLifecycleCommands } from '../../src/cli/lifecycle-commands.js';
import { GatewayProcess, eventually, within } from '../support/gateway-process.js';
import { PASS_PHRASE, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { RedisServer } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';

/** The spec's bound: a change made through A is enforced by B within 1 s. */
const BOUND_MS = 1000;
const SECRET = 'operator-secret-from-a-file-0123456789';

/** `hlgw portfolios ...` in-process, against one instance's admin port. */
async function portfolios(args: string[], admin: string, tokenFile: string): Promise<string> {
  let out = '';
  const io: CliIo = { env: {}, interactive: false, out: (t) => void (out += t), err: () => undefined, readSecret: () => Promise.reject(new Error('no stdin')) };
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerLifecycleCommands(program, io);
  await program.parseAsync(['node', 'hlgw', 'portfolios', ...args, '--admin-url', admin, '--token-file', tokenFile]);
  return out;
}

describe.skipIf(lacks('redis-server'))('operator allow/deny on one instance, the other follows within 1 s (Redis)', () => {
  const redis = new RedisServer();
  const upstream = new RecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-operator-'));
  const tokenFile = join(dir, 'operator.secret');
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    writeFileSync(tokenFile, SECRET + '\n', { mode: 0o600 });
    await Promise.all([redis.start(), upstream.start()]);
    const config = {
      upstream: { url: upstream.url }, store: { type: 'redis', url: redis.url },
      admin: { host: '127.0.0.1', port: 0, operatorToken: { file: tokenFile } },
      // Seed: acme only; initech is decided by the operator at runtime.
      portfolios: { allowed: ['acme'] },
    };
    [a, b] = await Promise.all([GatewayProcess.start('op-a', config), GatewayProcess.start('op-b', config)]);
  });
  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await Promise.allSettled([redis.stop(), upstream.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const policyOnB = async () => (await b.request('PUT', '/auth/portfolios/initech/token-policy', {
    as: USERS.initechManager, json: { enabled: true, passphrase: PASS_PHRASE },
  })).status;

  it('allow on A: B lets initech switch tokens on within 1 s; deny on A: B refuses its token within 1 s', async () => {
    expect(await policyOnB()).toBe(403);
    expect(await portfolios(['allow', 'initech'], a.admin, tokenFile)).toBe('allowed initech\n');
    let since = Date.now();
    expect(await within(BOUND_MS, async () => (await policyOnB()) === 200, since)).toBe(true);

    const t = await b.issue(USERS.initechManager);
    await eventually('A accepts the token', async () => (await a.useToken(t.access_token)).status === 200);
    expect(await portfolios(['deny', 'initech'], a.admin, tokenFile)).toContain('denied initech');
    since = Date.now();
    expect(await within(BOUND_MS, async () => (await b.useToken(t.access_token)).status === 401, since)).toBe(true);

    const listed = JSON.parse(await portfolios(['list', '--json'], b.admin, tokenFile)) as { portfolios: { companyId: string; allowed: boolean; source: string }[] };
    expect(listed.portfolios).toEqual(expect.arrayContaining([
      { companyId: 'initech', allowed: false, source: 'operator' },
      { companyId: 'acme', allowed: true, source: 'config' },
    ]));
  });
});
