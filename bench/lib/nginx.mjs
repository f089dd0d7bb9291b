// nginx children of the bench: the decision mode's shipped config (deploy/nginx/hlgw.conf) and
// a bare nginx reverse proxy (bench/servers/nginx-bare.conf), each in its own prefix directory.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnProgram, waitHttp } from './children.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NGINX_CONFIGS = {
  decision: join(ROOT, 'deploy/nginx/hlgw.conf'),
  bare: join(ROOT, 'bench/servers/nginx-bare.conf'),
};

/** Undefined when nginx runs here; else why the rows that need it are skipped. */
export function nginxMissing() {
  const r = spawnSync('nginx', ['-v'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0 ? undefined : 'nginx is not installed (Debian: apt-get install nginx)';
}

/**
 * Starts nginx with one of NGINX_CONFIGS, its `__LISTEN__`, `__GATEWAY__`, `__API__` replaced.
 * `cpuPids` are the processes whose CPU time a request costs: nginx (its workers are descendants),
 * plus the gateway in the decision mode.
 */
export async function startNginx(name, which, { upstreamUrl, gateway, ctx }) {
  const dir = join(ctx.tmp, name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, readFileSync(NGINX_CONFIGS[which], 'utf8').replaceAll('__LISTEN__', String(port))
    .replaceAll('__API__', new URL(upstreamUrl).host).replaceAll('__GATEWAY__', gateway ? new URL(gateway.url).host : '127.0.0.1:9'));
  const info = spawnProgram(name, 'nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { plan: ctx.plan });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(info, `${url}/bench-ready`, 200);
  const cpuPids = () => [info.child.pid, ...(gateway ? [gateway.info.child.pid] : [])];
  return { name, info, url, admin: gateway?.admin ?? null, cpuPids };
}
