import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/http-call.js';
import { RecordingUpstream } from '../support/recording-upstream.js';

/** The `hlgw` bin as users run it: the compiled dist/cli.js (npm test builds it first). */
const CLI = 'dist/cli.js';
const dir = mkdtempSync(join(tmpdir(), 'hlgw-cli-'));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 20_000 });
}

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

  it('a bad config stops the start with the key and the file named, and no stack trace', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'upstream:\n  url: ftp://nowhere\nserver:\n  prot: 1\n');
    const r = run(['serve', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`config error: upstream.url: expected an http(s) URL (in ${file})`);
    expect(r.stderr).toContain('config error: server: unknown key "prot"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('HLGW_CONFIG is the fallback when --config is absent', () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, 'upstream:\n  url: nope\n');
    const r = run(['check-config'], { HLGW_CONFIG: file });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`(in ${file})`);
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

    it('starts, prints where it listens, forwards, and stops cleanly on SIGTERM', async () => {
      const file = join(dir, 'ok.yaml');
      writeFileSync(file, [
        'server: { host: 127.0.0.1, port: 0 }',
        'admin: { host: 127.0.0.1, port: 0 }',
        `upstream: { url: "${up.url}" }`,
        `store: { type: sqlite, path: "${join(dir, 'db.sqlite')}" }`,
        `secrets: { masterKeyFile: "${join(dir, 'master.key')}" }`,
      ].join('\n'));
      const child = spawn(process.execPath, [CLI, 'serve', '--config', file], { env: { PATH: process.env.PATH } });
      try {
        let out = '';
        const url = await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', (d: Buffer) => {
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
    });
  });
});
