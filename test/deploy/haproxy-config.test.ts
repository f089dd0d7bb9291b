import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HAPROXY_CONFIG } from '../support/haproxy.js';
import { lacks } from '../support/requires.js';

/** What the file takes from the environment (its header documents each one). */
const ENV = {
  HLGW_LB_BIND: '127.0.0.1:8080',
  HLGW_A_ADDR: '127.0.0.1:8081',
  HLGW_A_ADMIN_PORT: '9464',
  HLGW_B_ADDR: '127.0.0.1:8082',
  HLGW_B_ADMIN_PORT: '9465',
  HLGW_HAPROXY_STATS_SOCKET: '/tmp/hlgw-haproxy-check.sock',
};

// Deploy files are code: the config must pass haproxy's own check without a warning; the
// rolling-restart test (test/ops) runs it under load.
describe.skipIf(lacks('haproxy'))('deploy/haproxy/hlgw.cfg', () => {
  it('passes haproxy -c without warnings', () => {
    const r = spawnSync('haproxy', ['-c', '-f', HAPROXY_CONFIG], { env: { ...process.env, ...ENV }, encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`;
    expect(output).toContain('Configuration file is valid');
    expect(output).not.toMatch(/WARNING|ALERT/);
    expect(r.status).toBe(0);
  });

  it('documents every variable it reads', () => {
    const text = readFileSync(HAPROXY_CONFIG, 'utf8');
    const directives = text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
    const used = new Set([...directives.matchAll(/"\$\{(\w+)(?:-[^}]*)?\}"/g)].map((m) => m[1]!));
    const header = text.split('\nglobal')[0]!;
    expect([...used].sort()).toEqual(Object.keys(ENV).sort());
    for (const v of Object.keys(ENV)) expect(header).toContain(v);
  });
});
