import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GatewayProcess } from '../support/gateway-process.js';
import { freePort } from '../support/redis-server.js';
import { lacks } from '../support/requires.js';

/**
 * README.md's walk-through, pasted into bash as it is printed, against a gateway on the demo
 * config. Only the two base URLs the block defines (GW, ADMIN) are replaced, by the ports the OS
 * gave this gateway (the README's 8080 and 9464 may be taken by another run). A step that needs a
 * hand edit (TOKEN=... copied from an answer) fails here.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The sh blocks of the walk-through section: the curl walk-through, then the same from the command line. */
function walkthroughBlocks(): string[] {
  const section = README.slice(README.indexOf('\n## Walk-through'));
  const blocks = [...section.slice(0, section.indexOf('\n## ', 1)).matchAll(/\n```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
  if (blocks.length < 2) throw new Error('README.md: expected the curl and the command-line sh blocks under "## Walk-through"');
  return blocks;
}

/** One curl the block ran: its arguments, what it printed, the HTTP status. */
interface CurlCall { args: string[]; body: string; status: number }


describe.skipIf(lacks('curl'))('README walk-through, run by bash as printed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hlgw-readme-'));
  let g: GatewayProcess;
  let calls: CurlCall[];
  let run: { status: number | null; stdout: string; stderr: string };
  const [block, cliBlock] = walkthroughBlocks() as [string, string];

  beforeAll(async () => {
    const demo = parse(readFileSync(join(ROOT, 'config/gateway.yaml'), 'utf8')) as Record<string, unknown>;
    const demoPort = await freePort();
    // The demo config as shipped: its users, allow-list, identity mode and echo API; the ports the OS chose, state in a temporary directory.
    g = await GatewayProcess.start('readme', {
      ...demo,
      server: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      upstream: { ...(demo.upstream as object), url: `http://127.0.0.1:${demoPort}` },
      demoUpstream: { enabled: true, host: '127.0.0.1', port: demoPort },
      users: { ...(demo.users as object), file: join(ROOT, 'config/demo-users.yaml') },
      store: { type: 'sqlite', path: join(dir, 'hlgw.db') },
      log: { level: 'warn' },
    });

    // A `curl` first on PATH that runs the real one and records each call (arguments, output, status).
    const bin = join(dir, 'bin');
    const log = join(dir, 'calls');
    for (const d of [bin, log]) mkdirSync(d, { recursive: true });
    const realCurl = spawnSync('bash', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(bin, 'curl'), [
      '#!/bin/bash',
      'f="$HLGW_CURL_LOG/$(printf %03d $(ls "$HLGW_CURL_LOG" | grep -c args))"',
      'printf \'%s\\n\' "$@" > "$f.args"',
      `"${realCurl}" -s -w '%{stderr}%{http_code}' "$@" 2> "$f.status" | tee "$f.body"`,
      '',
    ].join('\n'));
    chmodSync(join(bin, 'curl'), 0o755);

    const script = block.replace(/^GW=\S+/m, `GW=${g.url}`).replace(/^ADMIN=\S+/m, `ADMIN=${g.admin}`);
    run = await new Promise((done) => {
      const child = spawn('bash', ['-c', script], { env: { PATH: `${bin}:${process.env.PATH}`, HLGW_CURL_LOG: log, HOME: dir } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });
    calls = readdirSync(log).filter((f) => f.endsWith('.args')).sort().map((f) => {
      const base = join(log, f.slice(0, -'.args'.length));
      return {
        args: readFileSync(`${base}.args`, 'utf8').split('\n').slice(0, -1),
        body: readFileSync(`${base}.body`, 'utf8'),
        status: Number(readFileSync(`${base}.status`, 'utf8').trim()),
      };
    });
  });
  afterAll(async () => {
    await g?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('defines the base URLs it uses once, and leaves nothing to fill in by hand', () => {
    expect(block.match(/^GW=\S+/gm)).toHaveLength(1);
    expect(block.match(/^ADMIN=\S+/gm)).toHaveLength(1);
    expect(block).not.toMatch(/127\.0\.0\.1:(8080|9464)(?!\s+#)/);
    // Placeholders a reader would have to replace: VAR=... or <something>.
    expect(block).not.toMatch(/^\s*\w+=\.\.\./m);
    expect(block.replace(/^\s*#.*$/gm, '')).not.toMatch(/<\w+>/);
  });

  it('runs to the end, every curl answered', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(calls.length).toBe(10);
    for (const c of calls) expect(c.status, c.args.join(' ')).not.toBe(0);
  });

  // The command-line block, in a terminal (util-linux `script` gives it one), answering each prompt
  // as a person would type: the passwords and the new pass phrase, twice.
  it.skipIf(lacks('script'))('the command-line block runs as printed, every prompt answered', async () => {
    expect(cliBlock.match(/HLGW_URL=\S+/g)).toHaveLength(1);
    expect(cliBlock.replace(/#.*$/gm, '')).not.toMatch(/<\w+>|\w+=\.\.\./);
    const file = join(dir, 'cli-block.sh');
    writeFileSync(file, cliBlock.replace(/HLGW_URL=\S+/, `HLGW_URL=${g.url}`) + '\n');
    const answers: [string, string][] = [
      ['Password for manager@acme.example: ', 'acme-manager-demo'],
      ['Password for user@acme.example: ', 'acme-user-demo'],
      ['New pass phrase (10 to 255 characters): ', 'a new pass phrase from the CLI'],
      ['Repeat the pass phrase to confirm: ', 'a new pass phrase from the CLI'],
    ];
    const out = await new Promise<{ status: number | null; text: string }>((done) => {
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HLGW_')));
      const child = spawn('script', ['-qfec', `bash ${file}`, '/dev/null'], { cwd: ROOT, env });
      let text = '';
      let answered = 0;
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        // Every prompt shown so far, in order: answer the ones not answered yet.
        const shown = [...text.matchAll(/(Password for \S+: |New pass phrase \(10 to 255 characters\): |Repeat the pass phrase to confirm: )/g)].map((m) => m[1]!);
        for (; answered < shown.length; answered++) child.stdin.write(`${answers.find(([p]) => p === shown[answered])![1]}\r`);
      });
      child.on('close', (status) => done({ status, text }));
    });
    expect(out.status, out.text).toBe(0);
    expect(out.text).toMatch(/"passphraseSet": true/);
    expect(out.text).toMatch(/"basicUser": "user@acme\.example"/);
    expect(out.text).toMatch(/^revoked \S+\s*$/m);
    expect(out.text).not.toContain('hlgw: ');
  }, 180_000);

  it('each step answers as its comment says', () => {
    const [basic, policy, authorize, bearer, list, revoke, revoked, audit, metrics, ready] = calls as [CurlCall, CurlCall, CurlCall, CurlCall, CurlCall, CurlCall, CurlCall, CurlCall, CurlCall, CurlCall];
    // Basic is forwarded untouched: the echo API sees the user's Basic credential.
    expect(basic.status).toBe(200);
    expect(JSON.parse(basic.body)).toMatchObject({ upstream: 'hlgw demo echo API', authorization: 'Basic (value not shown)', basicUser: 'user@acme.example' });
    // 1. Tokens on for acme.
    expect(policy.status).toBe(200);
    expect(JSON.parse(policy.body)).toMatchObject({ enabled: true, durationMinutes: 1440 });
    // 2. A token, whose value and id the block took from the answer, not from a hand edit.
    expect(authorize.status).toBe(200);
    const { access_token: token, token_id: tokenId } = JSON.parse(authorize.body) as { access_token: string; token_id: string };
    expect(run.stdout).toContain(authorize.body.trim());
    // 3. The Bearer token works: the API gets the user's own Basic credential.
    expect(bearer.args).toContain(`Authorization: Bearer ${token}`);
    expect(bearer.status).toBe(200);
    expect(JSON.parse(bearer.body)).toMatchObject({ authorization: 'Basic (value not shown)', basicUser: 'user@acme.example' });
    // 4. The manager lists it.
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { tokens: { token_id: string }[] }).tokens.map((t) => t.token_id)).toContain(tokenId);
    // 5. Revoked → 204, then the token gets 401 revoked.
    expect(revoke.args.some((a) => a.endsWith(`/auth/tokens/${tokenId}`))).toBe(true);
    expect(revoke.status).toBe(204);
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatch(/^WWW-Authenticate: Bearer realm="highlight", error="invalid_token", error_description="revoked"/im);
    // 6. The audit trail, newest first: the revocation, the issue, the policy change.
    expect(audit.status).toBe(200);
    const actions = (JSON.parse(audit.body) as { events: { action: string }[] }).events.map((e) => e.action);
    expect(actions.length).toBeGreaterThanOrEqual(3);
    // Metrics and readiness on the admin port.
    expect(metrics.status).toBe(200);
    expect(run.stdout).toMatch(/^hlgw_requests_total\{auth="bearer",outcome="forwarded",class="2xx"\} 1$/m);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready' });
  });
});
