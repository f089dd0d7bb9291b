import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { USERS } from '../support/lifecycle.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { RedisServer } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';
import { CLI, runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hlgw-cli-'));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 20_000 });
}

/** Like run(), without blocking this process's event loop (for servers started by the test itself). */
const runAsync = runCli;

describe('hlgw CLI', () => {
  it('--help lists the subcommands; serve --help describes every option', () => {
    const top = run(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('serve');
    const serve = run(['serve', '--help']);
    expect(serve.status).toBe(0);
    expect(serve.stdout).toContain('--config <file>');
    expect(serve.stdout).toContain('HLGW_CONFIG');
  });

  it('--version prints the package version; no arguments print the help and exit 0', () => {
    const v = run(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
    const bare = run([]);
    expect(bare.status).toBe(0);
    expect(bare.stdout).toContain('Usage: hlgw');
    expect(bare.stderr).toBe('');
  });

  it('check-config finds a users file that is missing or does not parse', () => {
    const file = join(dir, 'users-missing.yaml');
    writeFileSync(file, `users: { source: file, file: "${join(dir, 'nope.yaml')}" }\nsecrets: { masterKeyFile: "${join(dir, 'mk-none')}" }\n`);
    const r = run(['check-config', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`config error: users.file: cannot read ${join(dir, 'nope.yaml')} (ENOENT)`);
    const broken = join(dir, 'broken-users.yaml');
    writeFileSync(broken, 'users:\n  - login: a\n');
    writeFileSync(file, `users: { source: file, file: "${broken}" }\nsecrets: { masterKeyFile: "${join(dir, 'mk-none')}" }\n`);
    const r2 = run(['check-config', '--config', file]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(`config error: users.file: ${broken} is not usable: config error: users.0.passwordHash`);
    expect(r2.stderr).not.toMatch(/\n\s+at /);
  });

  describe('talking to something that is not a gateway: one line naming the URL', () => {
    let html: Server;
    let url: string;
    beforeAll(async () => {
      html = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to nginx</body></html>'));
      await new Promise<void>((r) => html.listen(0, '127.0.0.1', () => r()));
      url = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => html.close(() => r())));

    it.each([
      [['token', 'list'], /^hlgw: unexpected answer from http:\/\/127\.0\.0\.1:\d+\/auth\/tokens \(HTTP 200\): expected a token list, got text\/html "<html><body>Welcome to nginx/],
      [['token', 'create'], /^hlgw: unexpected answer from http:\/\/127\.0\.0\.1:\d+\/auth\/oauth\/authorize \(HTTP 200\): expected a token response/],
      [['policy', 'get', 'acme'], /^hlgw: unexpected answer from .*\/auth\/portfolios\/acme\/token-policy \(HTTP 200\): expected a JSON object/],
    ])('%j', async (args, message) => {
      const r = await runAsync([...args, '--url', url, '--login', 'x'], { HLGW_PASSWORD: 'pw' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/TypeError|Cannot read properties|\n\s+at /);
    });

    it('nothing listening', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const r = run(['token', 'list', '--url', `http://127.0.0.1:${port}`, '--login', 'x'], { HLGW_PASSWORD: 'pw' });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`hlgw: cannot reach http://127.0.0.1:${port}/auth/tokens: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`);
    });
  });

  it('a port in use is named by the key that holds it (demoUpstream.port too)', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as AddressInfo).port;
    try {
      const file = join(dir, 'demo-port.yaml');
      writeFileSync(file, [
        'server: { host: 127.0.0.1, port: 0 }',
        'admin: { host: 127.0.0.1, port: 0 }',
        `demoUpstream: { enabled: true, host: 127.0.0.1, port: ${port} }`,
        `store: { type: sqlite, path: "${join(dir, 'demo-port.sqlite')}" }`,
        `secrets: { masterKeyFile: "${join(dir, 'demo-port.key')}" }`,
      ].join('\n'));
      const r = run(['serve', '--config', file]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`hlgw: cannot listen on 127.0.0.1:${port}: address already in use (is another gateway running?); change demoUpstream.port in the config`);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('a bad config stops the start with the key and the file named, and no stack trace', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'upstream:\n  url: ftp://nowhere\nserver:\n  prot: 1\n');
    const r = run(['serve', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`config error: upstream.url: expected an http(s) URL, e.g. https://api.example.com (in ${file}:2:8)`);
    expect(r.stderr).toContain('config error: server: unknown key "prot"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('HLGW_CONFIG is the fallback when --config is absent', () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, 'upstream:\n  url: nope\n');
    const r = run(['check-config'], { HLGW_CONFIG: file });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`(in ${file}:2:8)`);
  });

  it('check-config prints the effective config with passwords in URLs masked', () => {
    const file = join(dir, 'redis.yaml');
    writeFileSync(file, 'store:\n  type: redis\n  url: redis://:${REDIS_PW}@127.0.0.1:6379\n');
    const r = run(['check-config', '--config', file], { REDIS_PW: 'hunter2-secret' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"url": "redis://:***@127.0.0.1:6379"');
    expect(r.stdout).not.toContain('hunter2-secret');
  });

  describe('serve', () => {
    let up: RecordingUpstream;
    beforeAll(async () => {
      up = await new RecordingUpstream().start();
    });
    afterAll(() => up.stop());

    it('starts, prints where it listens on stderr, forwards, and stops cleanly on SIGTERM; stdout holds only JSON lines', async () => {
      const file = join(dir, 'ok.yaml');
      writeFileSync(file, [
        'server: { host: 127.0.0.1, port: 0 }',
        'admin: { host: 127.0.0.1, port: 0 }',
        `upstream: { url: "${up.url}" }`,
        `store: { type: sqlite, path: "${join(dir, 'db.sqlite')}" }`,
        `secrets: { masterKeyFile: "${join(dir, 'master.key')}" }`,
      ].join('\n'));
      const child = spawn(process.execPath, [CLI, 'serve', '--config', file], { env: { PATH: process.env.PATH } });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      try {
        let out = '';
        const url = await new Promise<string>((resolve, reject) => {
          child.stderr.on('data', (d: Buffer) => {
            out += d.toString();
            const m = out.match(/hlgw is listening on (http:\/\/127\.0\.0\.1:\d+)/);
            if (m) resolve(m[1]!);
          });
          child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
        });
        expect(out).toContain(`upstream: ${up.url}`);
        const r = await call(url, '/WS2/ping');
        expect(r.status).toBe(200);
        expect(up.last!.url).toBe('/WS2/ping');
      } finally {
        child.kill('SIGTERM');
        const code = await new Promise((r) => child.on('exit', r));
        expect(code).toBe(0);
      }
      // A log shipper reading stdout as JSON: every line parses, the start and stop lines are there.
      const lines = stdout.split('\n').filter((l) => l !== '');
      expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('hlgw listening');
      expect(stdout).not.toContain('hlgw is listening on');
    });
  });
});

describe('hlgw CLI: what to change, in one line', () => {
  let g: GatewayProcess;
  let up: RecordingUpstream;
  const as = { HLGW_LOGIN: USERS.alice.login, HLGW_PASSWORD: USERS.alice.password };
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    g = await GatewayProcess.start('cli-hints', { upstream: { url: up.url }, store: { type: 'sqlite', path: join(dir, 'hints.sqlite') } });
  });
  afterAll(async () => {
    await g?.stop();
    await up.stop();
  });

  it('no terminal and no HLGW_PASSWORD: names the variable', async () => {
    const r = await runAsync(['token', 'list', '--url', g.url], { HLGW_LOGIN: USERS.alice.login });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hlgw: no input on stdin and no terminal to prompt on: set HLGW_PASSWORD or pipe the secret on stdin\n$/);
  });

  it.each([
    ['--url ending in /auth', () => ['token', 'list', '--url', `${g.url}/auth`], as,
      /^hlgw: HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/auth\/auth\/tokens: --url ends in \/auth, which the CLI adds itself: give the gateway's base URL \(http:\/\/127\.0\.0\.1:\d+\)\n$/],
    ['--url on the admin port', () => ['token', 'list', '--url', g.admin], as,
      /^hlgw: HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/auth\/tokens: no hlgw endpoints here: --url \(HLGW_URL\) must be the gateway's proxy port, not the admin port/],
    ['portfolios list with the operator API off', () => ['portfolios', 'list', '--admin-url', g.admin], { HLGW_OPERATOR_TOKEN: 'operator-secret-0123456789-abcdefghij' },
      /^hlgw: HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/portfolios: the operator API is off: set admin\.operatorToken in the gateway's config/],
  ])('%s → a one-line hint', async (_what, args, env, expected) => {
    const r = await runAsync(args(), env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a real 404 of an endpoint (an unknown token id) gets no hint', async () => {
    const r = await runAsync(['token', 'revoke', 'nope', '--url', g.url], as);
    expect(r.stderr).toMatch(/^hlgw: HTTP 404 from \S+\/auth\/tokens\/nope: not found \(not_found\)\n$/);
  });
});

describe('hlgw check-config --connect: one line per check', () => {
  const config = (redisUrl: string, upstreamUrl: string) => {
    const file = join(dir, `connect-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `store: { type: redis, url: "${redisUrl}" }\nupstream: { url: "${upstreamUrl}" }\nsecrets: { masterKeyFile: "${join(dir, 'mk-connect')}" }\n`);
    return file;
  };

  it('a Redis where nothing listens: the store line says FAILED and the exit code is 1', async () => {
    // A port that was just free: nothing listens on it.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const r = await runAsync(['check-config', '--connect', '--config', config(`redis://127.0.0.1:${port}`, `http://127.0.0.1:${port}`)]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^store: FAILED \\(redis redis://127\\.0\\.0\\.1:${port}\\): .+$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^upstream: FAILED \\(http://127\\.0\\.0\\.1:${port}/?\\): .*ECONNREFUSED`, 'm'));
  });

  describe.skipIf(lacks('redis-server'))('against a real redis-server', () => {
    const redis = new RedisServer();
    const up = new RecordingUpstream();
    beforeAll(() => Promise.all([redis.start(), up.start()]));
    afterAll(() => Promise.all([redis.stop(), up.stop()]));

    it('the store and upstream lines say ok and the exit code is 0', async () => {
      const r = await runAsync(['check-config', '--connect', '--config', config(redis.url, up.url)]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^store: ok \(redis redis:\/\/127\.0\.0\.1:\d+\)$/m);
      expect(r.stdout).toMatch(/^upstream: ok \(http:\/\/127\.0\.0\.1:\d+\/?, HTTP \d+\)$/m);
    });
  });
});

describe('hlgw token create --name / token list: named tokens through the binary', () => {
  let g: GatewayProcess;
  let up: RecordingUpstream;
  const as = { HLGW_LOGIN: USERS.alice.login, HLGW_PASSWORD: USERS.alice.password };
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
    g = await GatewayProcess.start('cli-named', {
      upstream: { url: up.url }, store: { type: 'sqlite', path: join(dir, 'named.sqlite') },
      tokens: { scopes: { upload: [{ methods: ['POST'], paths: ['/api/scans/*/results'] }] } },
    });
    await g.enable();
  });
  afterAll(async () => {
    await g?.stop();
    await up.stop();
  });

  it('creates a named token with its scopes, and lists names, scopes, status with reason and last use', async () => {
    const created = await runAsync(['token', 'create', '--name', 'ci read-only', '--scope', 'read', '--scope', 'upload', '--validity', '30', '--url', g.url], as);
    expect(created.stderr).toBe('');
    const t = JSON.parse(created.stdout) as { access_token: string; token_id: string; name: string; scopes: string[]; expires_in: number };
    expect(t).toMatchObject({ name: 'ci read-only', scopes: ['read', 'upload'], expires_in: 30 * 60, token_type: 'Bearer' });
    expect((await g.request('GET', '/WS2/domains', { bearer: t.access_token })).status).toBe(200);
    expect((await g.request('POST', '/api/scans/1/results', { bearer: t.access_token, json: {} })).status).toBe(200);
    expect((await g.request('DELETE', '/WS2/domains/1', { bearer: t.access_token })).status).toBe(403);

    const only = await runAsync(['token', 'create', '--name', 'deploy', '--scope', 'read', '--token-only', '--url', g.url], as);
    const deployToken = only.stdout.trim();
    expect(deployToken.split('.')).toHaveLength(5);
    const personal = await runAsync(['token', 'create', '--token-only', '--url', g.url], as);
    expect(personal.status).toBe(0);
    const deployId = (await g.request('GET', '/auth/tokens', { as: USERS.alice })).json<{ tokens: { token_id: string; name: string }[] }>().tokens.find((x) => x.name === 'deploy')!.token_id;
    expect((await runAsync(['token', 'revoke', deployId, '--url', g.url], as)).status).toBe(0);

    // Last use is written in batches off the request path: wait until it is there, then list.
    while ((await g.request('GET', '/auth/tokens', { as: USERS.alice })).json<{ tokens: { token_id: string; last_used_at: string | null }[] }>().tokens.find((x) => x.token_id === t.token_id)!.last_used_at === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const table = (await runAsync(['token', 'list', '--url', g.url], as)).stdout;
    expect(table).toMatch(/^TOKEN ID\s+NAME\s+SCOPES\s+STATUS\s+LOGIN\s+SIGNED IN WITH\s+EXPIRES\s+LAST USED\n/);
    expect(table).toMatch(new RegExp(`${t.token_id}\\s+ci read-only\\s+read,upload\\s+active\\s+${USERS.alice.login}\\s+password\\s+\\S+\\s+\\d{4}-`));
    expect(table).toMatch(new RegExp(`${deployId}\\s+deploy\\s+read\\s+revoked \\(revoked\\)`));
    expect(table).toMatch(/\s+personal\s+full\s+active\s/);
  });

  it.each([
    [['--name', 'x'], /^hlgw: --name: give at least one --scope/],
    [['--scope', 'read'], /^hlgw: --scope: only with --name/],
    [['--name', 'x', '--scope', 'admin'], /^hlgw: HTTP 400 .*unknown scope "admin" \(known: read, full, upload\)/],
    [['--name', 'personal', '--scope', 'read'], /^hlgw: HTTP 400 .*"personal" is reserved/],
  ])('token create %j fails with the reason', async (args, expected) => {
    const r = await runAsync(['token', 'create', ...args, '--url', g.url], as);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(expected);
  });
});
