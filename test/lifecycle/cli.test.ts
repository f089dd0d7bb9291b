import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLifecycleCommands } from '../../src/cli/lifecycle-commands.js';
import type { CliIo } from '../../src/cli/io.js';
import { verifyPassword } from '../../src/users/password-hash.js';
import { FakeClock } from '../support/fake-clock.js';
import { LifecycleGateway, startLifecycleGateway, USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { STORE_FACTORIES, freshStore } from '../support/stores.js';

/** Runs `hlgw <args>` in-process with the given environment and stdin lines (`interactive`: as on a terminal). */
async function hlgw(args: string[], env: NodeJS.ProcessEnv, stdin: string[] = [], interactive = false): Promise<{ out: string; prompts: string[] }> {
  let out = '';
  const prompts: string[] = [];
  const io: CliIo = {
    env, interactive,
    out: (t) => void (out += t),
    err: () => undefined,
    readSecret: async (prompt) => {
      prompts.push(prompt);
      const line = stdin.shift();
      if (line === undefined) throw new Error('no input on stdin');
      return line;
    },
  };
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerLifecycleCommands(program, io);
  await program.parseAsync(['node', 'hlgw', ...args]);
  return { out, prompts };
}

describe.each(STORE_FACTORIES)('hlgw token|policy|hash-password against a running gateway ($name store)', (factory) => {
  const upstream = new RecordingUpstream();
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let g: LifecycleGateway;
  let env: (user: (typeof USERS)[keyof typeof USERS], withPassword?: boolean) => NodeJS.ProcessEnv;

  beforeAll(async () => {
    await upstream.start();
    fresh = await freshStore(factory);
    g = await startLifecycleGateway({ upstreamUrl: upstream.url, store: fresh.store, clock: new FakeClock() });
    env = (u, withPassword = true) => ({ HLGW_URL: g.url, HLGW_LOGIN: u.login, ...(withPassword ? { HLGW_PASSWORD: u.password } : {}) });
  });
  afterAll(async () => {
    await g.close();
    await fresh.close();
    await upstream.stop();
  });

  it('policy set / get, token create / list / revoke: everything the endpoints do', async () => {
    const set = await hlgw(['policy', 'set', 'acme', '--enable', '--duration', '90', '--passphrase'], { ...env(USERS.manager), HLGW_PASSPHRASE: 'a pass phrase from env' });
    expect(JSON.parse(set.out)).toMatchObject({ enabled: true, passphraseSet: true, durationMinutes: 90 });
    expect(set.out).not.toContain('a pass phrase from env');
    expect(JSON.parse((await hlgw(['policy', 'get', 'acme'], env(USERS.manager))).out)).toMatchObject({ enabled: true, durationMinutes: 90 });

    // The password is prompted when not in the environment.
    const created = await hlgw(['token', 'create', '--validity', '30', '--token-only'], env(USERS.alice, false), [USERS.alice.password]);
    expect(created.prompts).toEqual([`Password for ${USERS.alice.login}: `]);
    const token = created.out.trim();
    expect((await g.useToken(token)).status).toBe(200);

    const list = JSON.parse((await hlgw(['token', 'list', '--json'], env(USERS.manager))).out) as { token_id: string; status: string }[];
    expect(list).toHaveLength(1);
    const table = (await hlgw(['token', 'list'], env(USERS.alice))).out;
    expect(table).toMatch(/^TOKEN ID\s+NAME\s+SCOPES\s+STATUS\s+LOGIN/);
    expect(table).toContain(list[0]!.token_id);

    expect((await hlgw(['token', 'revoke', list[0]!.token_id], env(USERS.manager))).out).toContain('revoked');
    expect((await g.useToken(token)).status).toBe(401);
    // The table says why a token stopped working, and how its owner signed in.
    const after = (await hlgw(['token', 'list'], env(USERS.alice))).out;
    expect(after).toMatch(/^TOKEN ID\s+NAME\s+SCOPES\s+STATUS\s+LOGIN\s+SIGNED IN WITH/);
    // A plain revocation says `revoked` once; any other reason is added: `revoked (renewed)`.
    expect(after).toMatch(new RegExp(`${list[0]!.token_id}\\s+personal\\s+full\\s+revoked\\s+${USERS.alice.login}\\s+password`));
    expect(after).not.toContain('revoked (revoked)');
    const renewed = await g.issue(USERS.alice);
    await g.issue(USERS.alice); // renews: the one before is revoked, reason `renewed`
    expect((await hlgw(['token', 'list'], env(USERS.alice))).out).toMatch(new RegExp(`${renewed.token_id}\\s+personal\\s+full\\s+revoked \\(renewed\\)\\s+${USERS.alice.login}`));
  });

  it('a new pass phrase can be prompted (stdin), never given as a flag value', async () => {
    const r = await hlgw(['policy', 'set', 'acme', '--passphrase'], env(USERS.manager), ['prompted pass phrase!']);
    expect(r.prompts).toEqual(['New pass phrase (10 to 255 characters): ']);
    await expect(hlgw(['policy', 'set', 'acme', '--passphrase', 'on-the-command-line'], env(USERS.manager))).rejects.toThrow();
  });

  it('on a terminal the new pass phrase is asked twice, the second time saying why; a mismatch changes nothing', async () => {
    const r = await hlgw(['policy', 'set', 'acme', '--passphrase'], env(USERS.manager), ['typed pass phrase!', 'typed pass phrase!'], true);
    expect(r.prompts).toEqual(['New pass phrase (10 to 255 characters): ', 'Repeat the pass phrase to confirm: ']);
    expect(JSON.parse(r.out)).toMatchObject({ passphraseSet: true });
    const before = JSON.parse((await hlgw(['policy', 'get', 'acme'], env(USERS.manager))).out) as Record<string, unknown>;
    await expect(hlgw(['policy', 'set', 'acme', '--disable', '--passphrase'], env(USERS.manager), ['typed pass phrase!', 'typed pass phrasE!'], true))
      .rejects.toThrow('the pass phrases differ: nothing changed');
    expect(JSON.parse((await hlgw(['policy', 'get', 'acme'], env(USERS.manager))).out)).toEqual(before);
  });

  it.each([
    [['token', 'list'], USERS.alice, 'wrong-password', /HTTP 401/],
    [['policy', 'set', 'acme', '--disable'], USERS.alice, USERS.alice.password, /HTTP 403.*forbidden/],
    [['policy', 'set', 'acme', '--duration', '0'], USERS.manager, USERS.manager.password, /HTTP 400.*durationMinutes/],
    [['token', 'revoke', 'nope'], USERS.alice, USERS.alice.password, /HTTP 404/],
  ] as const)('%j fails with the gateway\'s reason', async (args, user, password, message) => {
    await expect(hlgw([...args], { ...env(user), HLGW_PASSWORD: password })).rejects.toThrow(message);
  });

  it('hash-password prints a hash that verifies, read from stdin', async () => {
    const r = await hlgw(['hash-password'], {}, ['s3cret pass']);
    const hash = r.out.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyPassword('s3cret pass', hash)).toBe(true);
    expect(await verifyPassword('s3cret pasS', hash)).toBe(false);
  });
});
