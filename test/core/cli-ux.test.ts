import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from '../support/gateway-process.js';
import { USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hlgw-cli-ux-'));

describe('hlgw policy set --passphrase and token create --token-only, through the binary', () => {
  let g: GatewayProcess;
  let up: RecordingUpstream;
  const manager = { HLGW_LOGIN: USERS.manager.login };
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    g = await GatewayProcess.start('cli-ux', { upstream: { url: up.url }, store: { type: 'sqlite', path: join(dir, 'ux.sqlite') } });
  });
  afterAll(async () => {
    await g?.stop();
    await up.stop();
  });

  it('piped (no terminal): the password, then the pass phrase, each read once, one line each', async () => {
    // Exactly two lines: a confirmation asked on a pipe would find no third line and fail.
    const r = await runCli(['policy', 'set', 'acme', '--enable', '--passphrase', '--url', g.url], manager, `${USERS.manager.password}\npiped pass phrase, once\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ enabled: true, passphraseSet: true });
    expect(r.stderr).not.toContain('Repeat');
  });

  it('--help says it is asked twice on a terminal, and why; once from a pipe', async () => {
    const r = await runCli(['policy', 'set', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"Repeat the pass phrase to confirm"');
    expect(r.stdout).toMatch(/typo would void every token/);
    expect(r.stdout).toMatch(/from a pipe or a script \(not a terminal\) it is read once/);
  });

  it('token create --token-only prints the token alone, for TOKEN=$(hlgw token create --token-only)', async () => {
    await runCli(['policy', 'set', 'acme', '--enable', '--url', g.url], { ...manager, HLGW_PASSWORD: USERS.manager.password });
    const r = await runCli(['token', 'create', '--token-only', '--url', g.url], { HLGW_LOGIN: USERS.alice.login, HLGW_PASSWORD: USERS.alice.password });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\S+\n$/);
    expect((await g.request('GET', '/WS2/domains', { bearer: r.stdout.trim() })).status).toBe(200);
  });
});
