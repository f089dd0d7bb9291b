import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { basic, call, type Reply } from './http-call.js';
import { assertConformsToOpenApi } from './openapi-conformance.js';
import { ALLOWED, PASS_PHRASE, USERS, usersFilePath, type DemoUser } from './lifecycle.js';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
/** One master key per test process: every instance of a deployment shares it. */
export const MASTER_KEY = randomBytes(32).toString('base64');

/**
 * `node dist/cli.js serve --config <tmp yaml>` as a separate process (`npm test` builds dist
 * first). Ports are chosen by the OS; the URLs are read from the start-up banner.
 */
export class GatewayProcess {
  private output = '';
  url = '';
  admin = '';

  private constructor(private readonly child: ChildProcess, private readonly dir: string, readonly name: string, private written: Record<string, unknown>) {
    child.stdout!.on('data', (b: Buffer) => { this.output += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { this.output += b.toString(); });
    process.once('exit', () => child.kill('SIGKILL'));
  }

  static async start(name: string, config: Record<string, unknown>): Promise<GatewayProcess> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it in pretest)`);
    const dir = mkdtempSync(join(tmpdir(), `hlgw-${name}-`));
    const path = join(dir, 'gateway.yaml');
    const written = {
      // No drain wait on SIGTERM unless a suite asks (test/ops/rolling-restart.test.ts): no balancer here.
      server: { host: '127.0.0.1', port: 0, shutdownDelaySeconds: 0, ...(config.server as object | undefined) },
      admin: { host: '127.0.0.1', port: 0 },
      users: { source: 'file', file: await usersFilePath() },
      portfolios: { allowed: ALLOWED },
      log: { level: 'warn' },
      ...Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'server')),
    };
    writeFileSync(path, stringify(written));
    const child = spawn(process.execPath, [CLI, 'serve', '--config', path], {
      env: { ...process.env, HLGW_MASTER_KEY: MASTER_KEY, HLGW_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const g = new GatewayProcess(child, dir, name, written);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const m = /hlgw is listening on (http:\/\/\S+) {2}\(metrics and health: (http:\/\/\S+)\/metrics/.exec(g.output);
      if (m) {
        g.url = m[1]!;
        g.admin = m[2]!;
        return g;
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`gateway ${name} did not start:\n${g.output.slice(-3000)}`);
      }
      await sleep(50);
    }
  }

  /**
   * Rewrites the config file with `changes` (top-level sections replaced; the listeners keep the
   * ports they have), or with `raw` text as is, then sends SIGHUP: a reload (docs/OPERATIONS.md).
   */
  reload(changes: Record<string, unknown> | { raw: string }): void {
    const path = join(this.dir, 'gateway.yaml');
    if ('raw' in changes && typeof changes.raw === 'string') writeFileSync(path, changes.raw);
    else {
      this.written = { ...this.written, ...changes };
      writeFileSync(path, stringify(this.written));
    }
    this.child.kill('SIGHUP');
  }

  get configFile(): string {
    return join(this.dir, 'gateway.yaml');
  }

  get logs(): string {
    return this.output;
  }

  async request(method: string, path: string, o: { as?: DemoUser; bearer?: string; json?: unknown } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (o.as) headers.authorization = basic(o.as.login, o.as.password);
    if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
    let body: string | undefined;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] = 'application/json';
    }
    const reply = await call(this.url, path, { method, headers, body });
    // Every /auth answer the suites receive is checked against {prefix}/openapi.json.
    assertConformsToOpenApi(method, path, reply);
    return reply;
  }

  useToken(token: string): Promise<Reply> {
    return this.request('GET', '/WS2/domains', { bearer: token });
  }

  useBasic(): Promise<Reply> {
    return this.request('GET', '/WS2/domains', { as: USERS.alice });
  }

  async setPolicy(as: DemoUser, policy: Record<string, unknown>): Promise<void> {
    const r = await this.request('PUT', `/auth/portfolios/${as.companyId}/token-policy`, { as, json: policy });
    if (r.status !== 200) throw new Error(`${this.name}: policy update failed: ${r.status} ${r.text}`);
  }

  enable(as: DemoUser = USERS.manager): Promise<void> {
    return this.setPolicy(as, { enabled: true, passphrase: PASS_PHRASE, durationMinutes: 60 });
  }

  async issue(as: DemoUser = USERS.alice): Promise<{ access_token: string; token_id: string }> {
    const r = await this.request('POST', '/auth/oauth/authorize', { as });
    if (r.status !== 200) throw new Error(`${this.name}: issue failed: ${r.status} ${r.text}`);
    return r.json();
  }

  async revoke(tokenId: string, as: DemoUser = USERS.manager): Promise<void> {
    const r = await this.request('DELETE', `/auth/tokens/${tokenId}`, { as });
    if (r.status !== 204) throw new Error(`${this.name}: revoke failed: ${r.status} ${r.text}`);
  }

  admin_(path: string): Promise<Reply> {
    return call(this.admin, path);
  }

  /** Sends `signal` and returns at once (the drain tests); `exitCode()` waits for the exit. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  exitCode(): Promise<number | null> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
    return new Promise((resolve) => c.once('exit', (code) => resolve(code)));
  }

  /** SIGKILL: a crash, no shutdown code runs. */
  async crash(): Promise<void> {
    const c = this.child;
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Polls `probe` until it returns true or `ms` have passed since `since`; returns whether it
 * did in time. The bound is the spec's (1 s for propagation); no other timing is asserted.
 */
export async function within(ms: number, probe: () => Promise<boolean>, since = Date.now()): Promise<boolean> {
  for (;;) {
    if (await probe()) return true;
    if (Date.now() - since > ms) return false;
    await sleep(10);
  }
}

/** Polls until true; fails with `what` after a generous deadline (for set-up steps, not bounds). */
export async function eventually(what: string, probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  if (!(await within(ms, probe))) throw new Error(`timed out waiting for: ${what}`);
}
