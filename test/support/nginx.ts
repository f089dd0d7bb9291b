import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The shipped config: the tests run it as is, only its ports and addresses replaced. */
const NGINX_CONFIG = resolve(import.meta.dirname, '../../deploy/nginx/hlgw.conf');

/** A port nobody listens on now (the OS's pick for port 0, released at once). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); r(true); });
    s.once('error', () => r(false));
  });
}

/**
 * Debian's nginx in the foreground, as the current user (`daemon off; master_process off`), with
 * deploy/nginx/hlgw.conf copied into a temp prefix directory (pid, logs, temp files all there).
 * `gateway` and `api` are host:port.
 */
export class Nginx {
  private child: ChildProcess | undefined;
  private output = '';
  readonly dir = mkdtempSync(join(tmpdir(), 'hlgw-nginx-'));
  url = '';

  constructor(private readonly addresses: { gateway: string; api: string }) {
    process.once('exit', () => this.child?.kill('SIGKILL'));
  }

  async start(): Promise<this> {
    const port = await freePort();
    const conf = join(this.dir, 'hlgw.conf');
    writeFileSync(conf, readFileSync(NGINX_CONFIG, 'utf8')
      .replaceAll('__LISTEN__', String(port)).replaceAll('__GATEWAY__', this.addresses.gateway).replaceAll('__API__', this.addresses.api));
    const child = spawn('nginx', ['-p', this.dir, '-c', conf, '-e', join(this.dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (b: Buffer) => { this.output = (this.output + b.toString()).slice(-50_000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + 20_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not start:\n${this.output.slice(-3000)}\n${this.file('error.log').slice(-3000)}`);
      }
      await sleep(50);
    }
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** A file of the prefix directory (access.log, error.log), empty when absent. */
  file(name: string): string {
    try {
      return readFileSync(join(this.dir, name), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGQUIT');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
