import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The shipped config: the tests run it as is, only addresses and ports from the environment. */
export const HAPROXY_CONFIG = resolve(import.meta.dirname, '../../deploy/haproxy/hlgw.cfg');

/** One server's line of `show stat` (haproxy's CSV), by column name. */
export type ServerStat = Record<string, string>;

/**
 * Debian's haproxy in the foreground (`-db`) with deploy/haproxy/hlgw.cfg; `env` fills its
 * "${VAR}"s. The runtime API socket (`show stat`) lives in a temp directory.
 */
export class Haproxy {
  private child: ChildProcess | undefined;
  private output = '';
  readonly dir = mkdtempSync(join(tmpdir(), 'hlgw-haproxy-'));
  readonly socket = join(this.dir, 'stats.sock');

  constructor(private readonly env: Record<string, string>) {
    process.once('exit', () => this.child?.kill('SIGKILL'));
  }

  async start(): Promise<this> {
    const child = spawn('haproxy', ['-db', '-f', HAPROXY_CONFIG], {
      env: { ...process.env, ...this.env, HLGW_HAPROXY_STATS_SOCKET: this.socket },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // One log line per request: keep the tail for failure messages.
    const keep = (b: Buffer) => { this.output = (this.output + b.toString()).slice(-50_000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (await this.stat().then(() => true, () => false)) return this;
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(this.dir, { recursive: true, force: true });
        throw new Error(`haproxy did not start:\n${this.output.slice(-3000)}`);
      }
      await sleep(50);
    }
  }

  get logs(): string {
    return this.output;
  }

  /** `show stat` for the servers of backend `hlgw`, by server name. */
  async stat(): Promise<Map<string, ServerStat>> {
    const csv = await this.command('show stat');
    const lines = csv.split('\n').filter((l) => l.length > 0);
    const header = lines[0]!.replace(/^# /, '').split(',');
    const out = new Map<string, ServerStat>();
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      const row = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
      if (row.pxname === 'hlgw' && row.svname !== 'BACKEND' && row.svname !== 'FRONTEND') out.set(row.svname!, row);
    }
    return out;
  }

  command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(this.socket);
      let text = '';
      s.on('connect', () => s.write(`${cmd}\n`));
      s.on('data', (b: Buffer) => { text += b.toString(); });
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
