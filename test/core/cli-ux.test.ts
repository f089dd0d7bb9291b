import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GatewayProcess } from '../support/gateway-process.js';
import { USERS } from '../support/lifecycle.js';
import { TestOidcProvider } from '../support/oidc-idp.js';
import { RecordingUpstream } from '../support/recording-upstream.js';
import { freePort } from '../support/redis-server.js';
import { TestSamlIdp } from '../support/saml-idp.js';
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

describe('hlgw serve refuses a demo config on a non-loopback address unless told so', () => {
  const badKey = join(dir, 'not-a-key');
  writeFileSync(badKey, 'not a master key\n');
  /** A config file; its master key does not open, so a start that passes the demo check stops there, before the proxy listens. */
  const config = (yaml: Record<string, unknown>) => {
    const file = join(dir, `demo-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify({ admin: { host: '127.0.0.1', port: 0 }, secrets: { masterKeyFile: badKey }, store: { type: 'sqlite', path: ':memory:' }, ...yaml }));
    return file;
  };
  const demoUsersCopy = join(dir, 'copied-users.yaml');
  writeFileSync(demoUsersCopy, readFileSync('config/demo-users.yaml'));
  const refusal = /^hlgw: refusing to start a demo config on (\S+) \(server\.host\), reachable from other machines: (.+)\.\n {2}For production, start from config\/production\.example\.yaml: hlgw serve --config <your copy> \(docs\/CONFIG\.md\)\.\n {2}To run the demo there anyway \(a throwaway container\): set HLGW_ALLOW_DEMO=1 or pass --allow-demo\.\n$/;

  it('the shipped demo config with HLGW_HOST=0.0.0.0 (as in the Docker image): refused, saying why and what to do', async () => {
    const r = await runCli(['serve', '--config', 'config/gateway.yaml'], { HLGW_HOST: '0.0.0.0' });
    expect(r.status).toBe(1);
    const m = refusal.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1]).toBe('0.0.0.0');
    expect(m![2]).toBe('demoUpstream is on (an echo API stands in for the real one); ./config/demo-users.yaml holds the demo users whose passwords README.md publishes');
  });

  it('a copy of the demo users elsewhere, without the echo API, on ::: refused for the users', async () => {
    const r = await runCli(['serve', '--config', config({ server: { host: '::', port: 0 }, users: { source: 'file', file: demoUsersCopy } })]);
    expect(r.status).toBe(1);
    expect(refusal.exec(r.stderr)?.[2], r.stderr).toBe(`${demoUsersCopy} holds the demo users whose passwords README.md publishes`);
  });

  it.each([
    ['HLGW_ALLOW_DEMO=1', [], { HLGW_ALLOW_DEMO: '1' }],
    ['--allow-demo', ['--allow-demo'], {}],
  ])('%s: the demo starts (here it goes on to the master key, which does not open)', async (_what, flags, env) => {
    const file = config({ server: { host: '0.0.0.0', port: 0 }, demoUpstream: { enabled: true, host: '127.0.0.1', port: 0 }, users: { source: 'file', file: demoUsersCopy } });
    const r = await runCli(['serve', '--config', file, ...flags], env);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain('refusing');
    expect(r.stderr).toContain(badKey);
  });

  it.each([
    ['no demo: real users, no echo API, on 0.0.0.0', { server: { host: '0.0.0.0', port: 0 }, users: { source: 'none' } }],
    ['the demo on loopback (npm start)', { server: { host: '127.0.0.1', port: 0 }, demoUpstream: { enabled: true, host: '127.0.0.1', port: 0 }, users: { source: 'file', file: demoUsersCopy } }],
  ])('%s: not refused', async (_what, yaml) => {
    const r = await runCli(['serve', '--config', config(yaml)]);
    expect(r.stderr).not.toContain('refusing');
    expect(r.stderr).toContain(badKey);
  });
});

describe('hlgw healthcheck: /readyz on the configured admin address (the Docker HEALTHCHECK)', () => {
  let up: RecordingUpstream;
  let g: GatewayProcess | undefined;
  beforeAll(async () => {
    up = await new RecordingUpstream().start();
  });
  afterAll(async () => {
    await g?.stop();
    await up.stop();
  });

  it('ready → exit 0; draining after SIGTERM (readyz 503) → exit 1; nothing listening → exit 1', async () => {
    const adminPort = await freePort();
    g = await GatewayProcess.start('healthcheck', {
      upstream: { url: up.url }, store: { type: 'sqlite', path: join(dir, 'hc.sqlite') },
      admin: { host: '127.0.0.1', port: adminPort }, server: { shutdownDelaySeconds: 60 },
    });
    const ready = await runCli(['healthcheck', '--config', g.configFile]);
    expect(ready.status, ready.stderr).toBe(0);
    expect(ready.stdout).toMatch(new RegExp(`^ready: http://127\\.0\\.0\\.1:${adminPort}/readyz: \\{"status":"ready"`));
    // The same file through HLGW_CONFIG, as the image passes it.
    expect((await runCli(['healthcheck'], { HLGW_CONFIG: g.configFile })).status).toBe(0);

    g.signal('SIGTERM'); // /readyz answers 503 for shutdownDelaySeconds while the proxy still serves
    while ((await g.admin_('/readyz')).status !== 503);
    const draining = await runCli(['healthcheck', '--config', g.configFile]);
    expect(draining.status).toBe(1);
    expect(draining.stderr).toMatch(new RegExp(`^hlgw: not ready: http://127\\.0\\.0\\.1:${adminPort}/readyz: HTTP 503 `));

    await g.crash();
    // Nothing listens there any more; a wildcard admin host is asked on loopback.
    const file = join(dir, 'hc-down.yaml');
    writeFileSync(file, `admin: { host: 0.0.0.0, port: ${adminPort} }\n`);
    const down = await runCli(['healthcheck', '--config', file]);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^hlgw: not ready: http://127\\.0\\.0\\.1:${adminPort}/readyz: .*ECONNREFUSED`));
  });

  it('admin.port 0 cannot be checked and says so', async () => {
    const file = join(dir, 'hc-port0.yaml');
    writeFileSync(file, 'admin: { host: 0.0.0.0, port: 0 }\n');
    const r = await runCli(['healthcheck', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('hlgw: admin.port is 0 (a port chosen at start): the health check cannot know it; set admin.port\n');
  });
});


describe('hlgw check-config --connect: the users source and each SSO provider, one line each', () => {
  const oidc = new TestOidcProvider({});
  /** Only for its signing certificate (checked by check-config before --connect). */
  const saml = new TestSamlIdp({}, () => Date.now());
  const up = new RecordingUpstream();
  beforeAll(() => Promise.all([up.start(), oidc.listen()]));
  afterAll(() => Promise.all([up.stop(), oidc.close()]));

  const connect = (upstreamUrl: string, users: Record<string, unknown>) => {
    const file = join(dir, `users-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify({ upstream: { url: upstreamUrl }, users, store: { type: 'sqlite', path: join(dir, 'connect.sqlite') }, secrets: { masterKeyFile: join(dir, 'connect.key') } }));
    return runCli(['check-config', '--connect', '--config', file]);
  };
  const sso = (issuer: string, entryPoint: string) => ({
    providers: [
      { type: 'oidc', name: 'acme-idp', displayName: 'Acme', issuer, clientId: 'hlgw', companies: ['acme'] },
      { type: 'saml', name: 'acme-saml', displayName: 'Acme SAML', entryPoint, idpIssuer: saml.entityId, idpCertFile: saml.certFile, companies: ['globex'] },
    ],
  });

  it('nothing listening: the users probe and both providers say FAILED, exit 1', async () => {
    const port = await freePort();
    const closed = `http://127.0.0.1:${port}`;
    const r = await connect(closed, { source: 'upstream', path: '/WS2/user', sso: sso(closed, `${closed}/sso`) });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^users: FAILED \\(upstream probe GET http://127\\.0\\.0\\.1:${port}/WS2/user\\): .*ECONNREFUSED`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^sso acme-idp: FAILED \\(discovery GET http://127\\.0\\.0\\.1:${port}/\\.well-known/openid-configuration\\): .*ECONNREFUSED`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^sso acme-saml: FAILED \\(SSO URL GET http://127\\.0\\.0\\.1:${port}/sso\\): .*ECONNREFUSED`, 'm'));
  });

  it('real servers: the probe gets one request without a credential, discovery answers, the SSO URL answers; exit 0', async () => {
    await oidc.start([]);
    const before = up.requests.length;
    // The SAML check asks only whether the SSO URL answers (the test IdP wants a SAMLRequest): a plain server stands in.
    const r = await connect(up.url, { source: 'upstream', path: '/WS2/user', sso: sso(oidc.issuer, `${up.url}/idp/sso`) });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^users: ok \(upstream probe GET http:\/\/127\.0\.0\.1:\d+\/WS2\/user, HTTP 200\)$/m);
    expect(r.stdout).toMatch(/^sso acme-idp: ok \(discovery GET http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration, HTTP 200\)$/m);
    expect(r.stdout).toMatch(/^sso acme-saml: ok \(SSO URL GET http:\/\/127\.0\.0\.1:\d+\/idp\/sso, HTTP 200\)$/m);
    const probes = up.requests.slice(before).filter((q) => q.url === '/WS2/user');
    expect(probes).toHaveLength(1);
    expect(probes[0]!.headers.authorization).toBeUndefined();
  });

  it('an issuer whose discovery does not answer 2xx fails; the users file line counts its users', async () => {
    up.respond = (_req, res) => {
      res.writeHead(404);
      res.end();
    };
    try {
      const r = await connect(up.url, { source: 'file', file: 'config/demo-users.yaml', sso: { providers: [{ type: 'oidc', name: 'gone-idp', displayName: 'Gone', issuer: `${up.url}/gone`, clientId: 'hlgw' }] } });
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^users: ok \(file config\/demo-users\.yaml, 2 users\)$/m);
      expect(r.stdout).toMatch(/^sso gone-idp: FAILED \(discovery GET http:\/\/127\.0\.0\.1:\d+\/gone\/\.well-known\/openid-configuration, HTTP 404\)$/m);
    } finally {
      up.respond = undefined;
    }
  });
});
